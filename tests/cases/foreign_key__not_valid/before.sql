-- foreign_key__not_valid: FK added NOT VALID
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.author (
    id integer PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE public.book (
    id integer PRIMARY KEY,
    author_id integer,
    title text NOT NULL
);
