-- partitioned_table__add_partition_with_default_present: new range partition added while a DEFAULT partition exists
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.measurement (
    id bigint NOT NULL,
    logdate date NOT NULL,
    peak integer
) PARTITION BY RANGE (logdate);
CREATE TABLE public.measurement_2023 PARTITION OF public.measurement FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE public.measurement_default PARTITION OF public.measurement DEFAULT;
