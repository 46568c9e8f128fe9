-- partitioned_table__regular_to_partitioned: plain table becomes partitioned
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: refuse

CREATE TABLE public.measurement (
    id bigint NOT NULL,
    logdate date NOT NULL,
    peak integer
);
