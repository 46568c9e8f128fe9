-- table__create_circular_fk: two new tables referencing each other (FKs must be added after both tables exist)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.marker (id integer);
