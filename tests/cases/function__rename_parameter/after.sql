-- function__rename_parameter: parameter renamed (CREATE OR REPLACE refuses: must drop + create)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE FUNCTION public.square(val integer) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT val * val $$;
