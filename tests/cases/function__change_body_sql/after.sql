-- function__change_body_sql: SQL function body changes (CREATE OR REPLACE)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE FUNCTION public.tax(amount numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT round(amount * 0.21, 2) $$;
CREATE TABLE public.keep (id integer);
