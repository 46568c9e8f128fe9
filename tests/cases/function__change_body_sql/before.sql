-- function__change_body_sql: SQL function body changes (CREATE OR REPLACE)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE FUNCTION public.tax(amount numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT amount * 0.20 $$;
CREATE TABLE public.keep (id integer);
