-- blind_spot__comments_all_kinds: COMMENT ON table, column, view, function, index, constraint, sequence, type
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
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
