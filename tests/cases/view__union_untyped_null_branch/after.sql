-- view__union_untyped_null_branch: a view over a UNION ALL whose second branch selects an untyped NULL (deparse not round-trip stable)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.rc (release integer, country integer);
CREATE TABLE public.ruc (release integer);
CREATE VIEW public.release_event AS SELECT release, country FROM (SELECT release, country FROM public.rc UNION ALL SELECT release, NULL FROM public.ruc) AS q;
