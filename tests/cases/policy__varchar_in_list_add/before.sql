-- policy__varchar_in_list_add: a policy whose USING filters a varchar column with IN (...) is added
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.docs (id integer, tier varchar(8));
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
