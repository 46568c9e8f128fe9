-- table__create_circular_fk: two new tables referencing each other (FKs must be added after both tables exist)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.marker (id integer);
CREATE TABLE public.department (
    id integer PRIMARY KEY,
    manager_id integer
);
CREATE TABLE public.employee (
    id integer PRIMARY KEY,
    department_id integer NOT NULL REFERENCES public.department (id)
);
ALTER TABLE public.department
    ADD CONSTRAINT department_manager_fk FOREIGN KEY (manager_id) REFERENCES public.employee (id);
