-- table__create: a new table with PK, FK, defaults is created
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.customer (
    id integer PRIMARY KEY,
    name text NOT NULL
);
