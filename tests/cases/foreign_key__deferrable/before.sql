-- foreign_key__deferrable: FK becomes DEFERRABLE INITIALLY DEFERRED
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.author (
    id integer PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE public.book (
    id integer PRIMARY KEY,
    author_id integer REFERENCES public.author (id),
    title text NOT NULL
);
