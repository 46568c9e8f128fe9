-- function__add_overload: overload describe(integer) added next to describe(text)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE FUNCTION public.describe(v text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 'text:' || v $$;
CREATE FUNCTION public.describe(v integer) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 'int:' || v::text $$;
