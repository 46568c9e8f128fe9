-- foreign_key__to_new_unique_constraint: FK referencing a UNIQUE constraint added in the same migration
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.country (id integer PRIMARY KEY, iso char(2) NOT NULL CONSTRAINT country_iso_key UNIQUE);
CREATE TABLE public.city (id integer PRIMARY KEY, country_iso char(2) REFERENCES public.country (iso));
