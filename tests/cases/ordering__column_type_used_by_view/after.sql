-- ordering__column_type_used_by_view: column type changes under a view (drop view, alter column, recreate view)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    salary numeric(14,2)
);
CREATE VIEW public.emp_pay AS SELECT id, salary FROM public.emp;
