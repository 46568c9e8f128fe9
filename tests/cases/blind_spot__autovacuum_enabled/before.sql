-- blind_spot__autovacuum_enabled: autovacuum_enabled=false plus toast.autovacuum_enabled=false
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload text,
    CONSTRAINT event_pkey PRIMARY KEY (id)
);
