-- type_change__pk_referenced_by_fk: PK int -> bigint together with the referencing FK column
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.parent (id bigint PRIMARY KEY);
CREATE TABLE public.child (id integer PRIMARY KEY, parent_id bigint REFERENCES public.parent (id));
