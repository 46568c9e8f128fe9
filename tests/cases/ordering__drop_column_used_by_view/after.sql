-- ordering__drop_column_used_by_view: column dropped and the view that used it redefined without it
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL
);
CREATE VIEW public.emp_pay AS SELECT id, name FROM public.emp;
