-- foreign_key__drop: drop a FK
-- state: AFTER (loads into an empty PostgreSQL 15 database)
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
