-- table__unlogged_to_logged: an UNLOGGED table becomes logged
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.cache (k text PRIMARY KEY, v text);
