-- blind_spot__cluster_on: ALTER TABLE ... CLUSTER ON index
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload text,
    CONSTRAINT event_pkey PRIMARY KEY (id)
);
CREATE INDEX event_kind_idx ON public.event (kind);
