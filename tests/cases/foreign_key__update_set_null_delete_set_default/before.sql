-- foreign_key__update_set_null_delete_set_default: FK with ON UPDATE SET NULL ON DELETE SET DEFAULT
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.author (
    id integer PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE public.book (
    id integer PRIMARY KEY,
    author_id integer DEFAULT 0 REFERENCES public.author (id),
    title text NOT NULL
);
