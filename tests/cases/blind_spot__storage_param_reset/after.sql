-- blind_spot__storage_param_reset: storage parameters removed / changed (RESET + SET)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload text,
    CONSTRAINT event_pkey PRIMARY KEY (id)
) WITH (fillfactor = 90);
