-- ordering__view_on_view_create: two new views, the second selecting from the first
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    salary numeric(10,2)
);
CREATE VIEW public.v_paid AS SELECT id, name, salary FROM public.emp WHERE salary > 0;
CREATE VIEW public.v_paid_names AS SELECT name FROM public.v_paid;
