-- ordering__function_used_by_index: new immutable function and an expression index using it
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    salary numeric(10,2)
);
CREATE FUNCTION public.norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(trim(t)) $$;
CREATE INDEX emp_norm_name_idx ON public.emp (public.norm(name));
