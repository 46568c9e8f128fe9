-- function__strict_parallel_cost_rows: STRICT, PARALLEL SAFE, COST and ROWS attributes change
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE FUNCTION public.series(n integer) RETURNS SETOF integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 5 ROWS 10
    AS $$ SELECT generate_series(1, n) $$;
