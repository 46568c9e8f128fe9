-- blind_spot__enable_rls_no_policies: ENABLE ROW LEVEL SECURITY with no policy (deny-all)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload text,
    CONSTRAINT event_pkey PRIMARY KEY (id)
);
