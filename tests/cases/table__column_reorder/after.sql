-- table__column_reorder: same columns in a different physical order
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge (column order is not compared)

CREATE TABLE public.person (id integer, last_name text, first_name text);
