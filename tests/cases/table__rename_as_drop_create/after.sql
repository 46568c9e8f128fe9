-- table__rename_as_drop_create: table renamed customer -> client (declarative tools see drop + create)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.client (
    id integer PRIMARY KEY,
    name text NOT NULL
);
CREATE INDEX client_name_idx ON public.client (name);
