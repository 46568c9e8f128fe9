-- view__union_untyped_null_branch: a view over a UNION ALL whose second branch selects an untyped NULL (deparse not round-trip stable)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.rc (release integer, country integer);
CREATE TABLE public.ruc (release integer);
