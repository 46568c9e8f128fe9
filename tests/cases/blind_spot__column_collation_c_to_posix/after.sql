-- blind_spot__column_collation_c_to_posix: column collation "C" -> "POSIX" with an index on it
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text COLLATE "POSIX" NOT NULL,
    payload text,
    CONSTRAINT event_pkey PRIMARY KEY (id)
);
CREATE INDEX event_kind_idx ON public.event (kind);
