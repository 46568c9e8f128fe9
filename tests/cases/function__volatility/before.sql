-- function__volatility: IMMUTABLE -> STABLE
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE FUNCTION public.today_label() RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 'day' $$;
