-- column__drop: drop a column
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text
);
