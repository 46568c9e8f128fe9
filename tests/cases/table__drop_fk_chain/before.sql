-- table__drop_fk_chain: drop a chain child -> grandchild that reference each other (drop order)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.parent (id integer PRIMARY KEY);
CREATE TABLE public.child (id integer PRIMARY KEY, parent_id integer REFERENCES public.parent (id));
CREATE TABLE public.grandchild (id integer PRIMARY KEY, child_id integer REFERENCES public.child (id));
