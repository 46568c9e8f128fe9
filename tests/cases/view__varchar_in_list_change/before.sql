-- view__varchar_in_list_change: a view filtering a varchar column with IN (...) changes its list (deparse not round-trip stable)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public."Orders" (id integer, status varchar(12));
CREATE VIEW public.open_orders AS SELECT id FROM public."Orders" WHERE status IN ('new', 'open');
