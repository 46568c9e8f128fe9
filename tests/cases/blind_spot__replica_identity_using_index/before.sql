-- blind_spot__replica_identity_using_index: REPLICA IDENTITY USING INDEX on a unique NOT NULL index
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload text,
    CONSTRAINT event_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX event_kind_id_key ON public.event (kind, id);
