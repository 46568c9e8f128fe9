-- local_partition_index__on_subpartition: local index on a second-level leaf partition
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.sales (
    id bigint NOT NULL,
    region text NOT NULL,
    sold_on date NOT NULL,
    amount numeric(12,2)
) PARTITION BY LIST (region);
CREATE TABLE public.sales_eu PARTITION OF public.sales FOR VALUES IN ('eu');

CREATE TABLE public.sales_us PARTITION OF public.sales FOR VALUES IN ('us') PARTITION BY RANGE (sold_on);
CREATE TABLE public.sales_us_2023 PARTITION OF public.sales_us FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE INDEX sales_us_2023_amount_idx ON public.sales_us_2023 (amount DESC);
