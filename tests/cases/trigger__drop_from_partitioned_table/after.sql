-- trigger__drop_from_partitioned_table: row trigger dropped from partitioned parent (clones on partitions cannot be dropped separately)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.ev (id bigint NOT NULL, at date NOT NULL, updated_at timestamptz) PARTITION BY RANGE (at);
CREATE TABLE public.ev_2023 PARTITION OF public.ev FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE public.ev_2024 PARTITION OF public.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE FUNCTION public.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
