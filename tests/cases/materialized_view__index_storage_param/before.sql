-- materialized_view__index_storage_param: matview index gets fillfactor
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    dept text,
    salary numeric(10,2),
    active boolean DEFAULT true
);
CREATE MATERIALIZED VIEW public.dept_pay AS SELECT dept, sum(salary) AS total FROM public.emp GROUP BY dept;
CREATE INDEX dept_pay_total_idx ON public.dept_pay (total);
