-- partitioned_table__partitioned_to_regular: partitioned table becomes a plain table
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: refuse

CREATE TABLE public.measurement (
    id bigint NOT NULL,
    logdate date NOT NULL,
    peak integer
);
