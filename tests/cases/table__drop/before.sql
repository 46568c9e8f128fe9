-- table__drop: a table referencing another table is dropped
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.customer (
    id integer PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE public.invoice (
    id integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES public.customer (id),
    amount numeric(12,2) NOT NULL DEFAULT 0
);
