-- foreign_key__to_new_table: FK to a table created in the same migration
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.book (
    id integer PRIMARY KEY,
    publisher_id integer
);
