-- table__create_in_new_schema: new schema plus a table inside it
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
