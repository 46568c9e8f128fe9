-- foreign_key__self_reference: self-referencing FK (tree)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.category (
    id integer PRIMARY KEY,
    parent_id integer,
    name text
);
