-- function__drop_one_overload: one overload dropped, the other kept
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE FUNCTION public.describe(v integer) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 'int:' || v::text $$;
