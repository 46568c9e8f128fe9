-- table__column_reorder: same columns in a different physical order
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge (column order is not compared)

CREATE TABLE public.person (id integer, first_name text, last_name text);
