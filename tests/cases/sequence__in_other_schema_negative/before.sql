-- sequence__in_other_schema_negative: descending sequence in its own schema
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
