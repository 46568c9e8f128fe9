-- column__set_default: add a default to an existing column
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text,
    qty integer DEFAULT 1
);
