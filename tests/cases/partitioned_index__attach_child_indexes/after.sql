-- partitioned_index__attach_child_indexes: invalid ON ONLY parent index gets child indexes attached (ALTER INDEX ... ATTACH PARTITION)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.measurement (
    id bigint NOT NULL,
    logdate date NOT NULL,
    peak integer
) PARTITION BY RANGE (logdate);
CREATE TABLE public.measurement_2023 PARTITION OF public.measurement FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE public.measurement_2024 PARTITION OF public.measurement FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX measurement_peak_idx ON ONLY public.measurement (peak);
CREATE INDEX measurement_2023_peak_idx ON public.measurement_2023 (peak);
CREATE INDEX measurement_2024_peak_idx ON public.measurement_2024 (peak);
ALTER INDEX public.measurement_peak_idx ATTACH PARTITION public.measurement_2023_peak_idx;
ALTER INDEX public.measurement_peak_idx ATTACH PARTITION public.measurement_2024_peak_idx;
