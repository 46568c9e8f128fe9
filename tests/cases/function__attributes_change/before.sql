-- function__attributes_change: LEAKPROOF off, PARALLEL SAFE, COST and ROWS of a set-returning function change
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE FUNCTION public.evens(n integer) RETURNS SETOF integer LANGUAGE sql IMMUTABLE AS $$ SELECT g FROM generate_series(0, n, 2) g $$;
CREATE FUNCTION public.same(a integer, b integer) RETURNS boolean LANGUAGE sql IMMUTABLE LEAKPROOF AS $$ SELECT a = b $$;
