-- blind_spot__comment_changed_and_removed: one comment text changes, another is removed
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload text,
    CONSTRAINT event_pkey PRIMARY KEY (id)
);
COMMENT ON TABLE public.event IS 'old text';
COMMENT ON COLUMN public.event.payload IS 'raw payload';
