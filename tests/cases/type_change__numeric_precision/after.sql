-- type_change__numeric_precision: numeric(10,2) -> numeric(12,4)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    amount numeric(12,4),
    note text
);
