-- column__add_fk_column: add a column that references a new table
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.warehouse (id integer PRIMARY KEY, name text);
CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text,
    warehouse_id integer REFERENCES public.warehouse (id)
);
