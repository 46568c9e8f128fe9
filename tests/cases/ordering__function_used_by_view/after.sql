-- ordering__function_used_by_view: function's return type changes while a view calls it (drop view, replace fn, recreate view)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    salary numeric(10,2)
);
CREATE FUNCTION public.bonus(s numeric) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT (s * 0.1)::integer $$;
CREATE VIEW public.emp_bonus AS SELECT id, public.bonus(salary) AS bonus FROM public.emp;
