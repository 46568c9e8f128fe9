-- partitioned_index__attach_partition_with_matching_index: standalone table with matching index attached; its index gets attached too
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.measurement (
    id bigint NOT NULL,
    logdate date NOT NULL,
    peak integer
) PARTITION BY RANGE (logdate);
CREATE TABLE public.measurement_2024 PARTITION OF public.measurement FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX measurement_peak_idx ON public.measurement (peak);
CREATE TABLE public.measurement_2023 (id bigint NOT NULL, logdate date NOT NULL, peak integer);
CREATE INDEX old_2023_peak ON public.measurement_2023 (peak);
ALTER TABLE public.measurement ATTACH PARTITION public.measurement_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
