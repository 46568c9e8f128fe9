-- function__sql_standard_body_change: a BEGIN ATOMIC function's body changes (prosrc is empty for both)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.items (id integer, status varchar(10));
CREATE FUNCTION public.open_count() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) FROM public.items WHERE status IN ('new', 'open', 'held'); END;
