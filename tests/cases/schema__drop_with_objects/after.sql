-- schema__drop_with_objects: schema with table, view, function and type dropped
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
