-- ordering__function_used_by_default: new function and a new column whose DEFAULT calls it
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE FUNCTION public.new_code() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT md5(random()::text) $$;
CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    salary numeric(10,2),
    code text DEFAULT public.new_code()
);
