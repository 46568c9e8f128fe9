-- view__check_option_and_barrier: a view gains WITH CASCADED CHECK OPTION and security_barrier
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.acct (id integer, active boolean);
CREATE VIEW public.active_acct WITH (security_barrier) AS SELECT id, active FROM public.acct WHERE active WITH CASCADED CHECK OPTION;
