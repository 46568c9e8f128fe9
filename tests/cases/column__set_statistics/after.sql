-- column__set_statistics: ALTER COLUMN SET STATISTICS (per-column stats target)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text,
    customer_id integer
);
ALTER TABLE public.orders ALTER COLUMN customer_id SET STATISTICS 1000;
