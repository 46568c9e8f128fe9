-- view__view_on_view_change_base: base view changes incompatibly while a second view depends on it
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    dept text,
    salary numeric(10,2),
    active boolean DEFAULT true
);
CREATE VIEW public.v_base AS SELECT id, upper(name) AS name, dept FROM public.emp;
CREATE VIEW public.v_top AS SELECT id, name FROM public.v_base WHERE dept = 'eng';
