-- table__unlogged_to_logged: UNLOGGED table becomes LOGGED (migra ignores persistence)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.session_cache (key text PRIMARY KEY, payload jsonb);
