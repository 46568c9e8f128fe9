-- partitioned_table__strategy_change: partitioning strategy changes LIST -> HASH
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: refuse

CREATE TABLE public.sales (
    id bigint NOT NULL,
    region text NOT NULL,
    sold_on date NOT NULL,
    amount numeric(12,2)
) PARTITION BY HASH (region);
CREATE TABLE public.sales_eu PARTITION OF public.sales FOR VALUES WITH (MODULUS 1, REMAINDER 0);
