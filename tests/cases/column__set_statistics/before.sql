-- column__set_statistics: ALTER COLUMN SET STATISTICS (per-column stats target)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text,
    customer_id integer
);
