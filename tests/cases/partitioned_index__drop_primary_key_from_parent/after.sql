-- partitioned_index__drop_primary_key_from_parent: PK dropped from partitioned parent (partition PKs go with it)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.measurement (
    id bigint NOT NULL,
    logdate date NOT NULL,
    peak integer
) PARTITION BY RANGE (logdate);
CREATE TABLE public.measurement_2023 PARTITION OF public.measurement FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE public.measurement_2024 PARTITION OF public.measurement FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
