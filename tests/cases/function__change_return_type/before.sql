-- function__change_return_type: return type changes (CREATE OR REPLACE not allowed: drop + create)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE FUNCTION public.answer() RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 42 $$;
