-- table__inherits_add: a plain table starts inheriting from another (classic inheritance, not partitioning)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.base (id integer, note text);
CREATE TABLE public.child (extra integer) INHERITS (public.base);
