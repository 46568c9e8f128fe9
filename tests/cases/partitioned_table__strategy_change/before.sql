-- partitioned_table__strategy_change: partitioning strategy changes LIST -> HASH
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: refuse

CREATE TABLE public.sales (
    id bigint NOT NULL,
    region text NOT NULL,
    sold_on date NOT NULL,
    amount numeric(12,2)
) PARTITION BY LIST (region);
CREATE TABLE public.sales_eu PARTITION OF public.sales FOR VALUES IN ('eu');
