-- blind_spot__force_rls: FORCE ROW LEVEL SECURITY on an RLS-enabled table
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload text,
    CONSTRAINT event_pkey PRIMARY KEY (id)
);
ALTER TABLE public.event ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.event FORCE ROW LEVEL SECURITY;
