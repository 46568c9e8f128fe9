-- foreign_key__self_reference: self-referencing FK (tree)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.category (
    id integer PRIMARY KEY,
    parent_id integer REFERENCES public.category (id) ON DELETE CASCADE,
    name text
);
