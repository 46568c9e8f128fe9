-- table__unlogged_to_logged: UNLOGGED table becomes LOGGED (migra ignores persistence)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE UNLOGGED TABLE public.session_cache (key text PRIMARY KEY, payload jsonb);
