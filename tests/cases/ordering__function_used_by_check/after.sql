-- ordering__function_used_by_check: new function used by a new CHECK constraint
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE FUNCTION public.is_sane(s numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT s IS NULL OR s BETWEEN 0 AND 1000000 $$;
CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    salary numeric(10,2)
);
ALTER TABLE public.emp ADD CONSTRAINT emp_salary_sane CHECK (public.is_sane(salary));
