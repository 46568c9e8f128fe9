-- function__change_arg_type: argument type changes integer -> bigint (new identity: drop old + create new)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE FUNCTION public.double_it(v integer) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT v * 2 $$;
