-- column__add_not_null_with_default: add NOT NULL column with a default
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text
);
