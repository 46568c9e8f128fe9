-- table__unlogged_to_logged: an UNLOGGED table becomes logged
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE UNLOGGED TABLE public.cache (k text PRIMARY KEY, v text);
