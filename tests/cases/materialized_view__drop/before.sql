-- materialized_view__drop: materialized view dropped
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
