-- function__rename_parameter: parameter renamed (CREATE OR REPLACE refuses: must drop + create)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE FUNCTION public.square(x integer) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT x * x $$;
