-- sequence__drop: sequence dropped
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
