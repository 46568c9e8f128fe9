-- view__check_option_and_barrier: a view gains WITH CASCADED CHECK OPTION and security_barrier
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.acct (id integer, active boolean);
CREATE VIEW public.active_acct AS SELECT id, active FROM public.acct WHERE active;
