-- column__drop_default: remove a default
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text,
    qty integer DEFAULT 1
);
