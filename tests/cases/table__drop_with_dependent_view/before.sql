-- table__drop_with_dependent_view: table dropped together with the view that depends on it
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE TABLE public.audit_log (id bigint, message text, at timestamptz);
CREATE VIEW public.recent_audit AS SELECT id, message FROM public.audit_log WHERE at > now() - interval '1 day';
