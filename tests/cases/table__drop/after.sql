-- table__drop: a table referencing another table is dropped
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.customer (
    id integer PRIMARY KEY,
    name text NOT NULL
);
