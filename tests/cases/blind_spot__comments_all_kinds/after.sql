-- blind_spot__comments_all_kinds: COMMENT ON table, column, view, function, index, constraint, sequence, type
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload text,
    CONSTRAINT event_pkey PRIMARY KEY (id)
);
CREATE INDEX event_kind_idx ON public.event (kind);
CREATE VIEW public.event_v AS SELECT id, kind FROM public.event;
CREATE FUNCTION public.event_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM public.event $$;
CREATE SEQUENCE public.event_seq;
CREATE TYPE public.event_level AS ENUM ('low', 'high');
COMMENT ON TABLE public.event IS 'all domain events';
COMMENT ON COLUMN public.event.kind IS 'event kind, e.g. ''created''';
COMMENT ON VIEW public.event_v IS 'events without payload';
COMMENT ON FUNCTION public.event_count() IS 'number of events';
COMMENT ON INDEX public.event_kind_idx IS 'lookup by kind';
COMMENT ON CONSTRAINT event_pkey ON public.event IS 'surrogate key';
COMMENT ON SEQUENCE public.event_seq IS 'legacy counter';
COMMENT ON TYPE public.event_level IS 'severity';
