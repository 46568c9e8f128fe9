-- function__default_argument_change: default value of a parameter changes
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE FUNCTION public.greet(name text, greeting text DEFAULT 'hi') RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT greeting || ', ' || name $$;
