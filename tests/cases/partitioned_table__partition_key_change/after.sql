-- partitioned_table__partition_key_change: partition key changes from logdate to id
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: refuse

CREATE TABLE public.measurement (
    id bigint NOT NULL,
    logdate date NOT NULL,
    peak integer
) PARTITION BY RANGE (id);
CREATE TABLE public.measurement_2023 PARTITION OF public.measurement FOR VALUES FROM (0) TO (1000000);
