-- column__varchar_array_default_change: a text[] column default built from varchar literals changes
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.prefs (id integer, tags text[] DEFAULT ARRAY['a'::varchar, 'b'::varchar]::text[]);
