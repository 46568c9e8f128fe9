-- view__add_column_at_end: column appended to a view (CREATE OR REPLACE works)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    dept text,
    salary numeric(10,2),
    active boolean DEFAULT true
);
CREATE VIEW public.active_emp AS SELECT id, name, dept FROM public.emp WHERE active;
