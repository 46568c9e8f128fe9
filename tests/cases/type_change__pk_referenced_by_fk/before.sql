-- type_change__pk_referenced_by_fk: PK int -> bigint together with the referencing FK column
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.parent (id integer PRIMARY KEY);
CREATE TABLE public.child (id integer PRIMARY KEY, parent_id integer REFERENCES public.parent (id));
