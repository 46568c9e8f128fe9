-- table__drop_fk_chain: drop a chain child -> grandchild that reference each other (drop order)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.parent (id integer PRIMARY KEY);
