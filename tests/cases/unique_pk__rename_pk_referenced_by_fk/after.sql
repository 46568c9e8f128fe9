-- unique_pk__rename_pk_referenced_by_fk: PK renamed while a FK depends on its index
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.parent (id integer, CONSTRAINT parent_pk PRIMARY KEY (id));
CREATE TABLE public.child (id integer PRIMARY KEY, parent_id integer REFERENCES public.parent (id));
