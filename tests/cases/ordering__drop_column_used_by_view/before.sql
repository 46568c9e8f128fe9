-- ordering__drop_column_used_by_view: column dropped and the view that used it redefined without it
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    salary numeric(10,2)
);
CREATE VIEW public.emp_pay AS SELECT id, name, salary FROM public.emp;
