-- table__rename_as_drop_create: table renamed customer -> client (declarative tools see drop + create)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.customer (
    id integer PRIMARY KEY,
    name text NOT NULL
);
CREATE INDEX customer_name_idx ON public.customer (name);
