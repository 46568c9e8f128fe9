-- function__search_path_change: a function's SET search_path changes (invisible to migra)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA app;
CREATE FUNCTION public."Total"(x integer) RETURNS integer LANGUAGE sql STABLE SET search_path = app, pg_temp AS $$ SELECT x + 1 $$;
