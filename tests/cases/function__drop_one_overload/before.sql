-- function__drop_one_overload: one overload dropped, the other kept
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE FUNCTION public.describe(v text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 'text:' || v $$;
CREATE FUNCTION public.describe(v integer) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 'int:' || v::text $$;
