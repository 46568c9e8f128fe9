-- operator__change_function: an operator's implementing function is switched (drop and re-create)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE FUNCTION public.f1(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 = $2 $$;
CREATE FUNCTION public.f2(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT lower($1) = lower($2) $$;
CREATE OPERATOR public.=~= (FUNCTION = public.f1, LEFTARG = text, RIGHTARG = text);
