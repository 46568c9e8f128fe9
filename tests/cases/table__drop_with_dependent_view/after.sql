-- table__drop_with_dependent_view: table dropped together with the view that depends on it
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
