-- partitioned_index__parent_adopts_existing_child_index: existing per-partition indexes get adopted by a new parent index
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.measurement (
    id bigint NOT NULL,
    logdate date NOT NULL,
    peak integer
) PARTITION BY RANGE (logdate);
CREATE TABLE public.measurement_2023 PARTITION OF public.measurement FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE public.measurement_2024 PARTITION OF public.measurement FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX m23_peak ON public.measurement_2023 (peak);
CREATE INDEX m24_peak ON public.measurement_2024 (peak);
CREATE INDEX measurement_peak_idx ON public.measurement (peak);
