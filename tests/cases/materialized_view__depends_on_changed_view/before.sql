-- materialized_view__depends_on_changed_view: view under a matview changes; matview dropped and recreated
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    dept text,
    salary numeric(10,2),
    active boolean DEFAULT true
);
CREATE VIEW public.v_emp AS SELECT id, dept, salary FROM public.emp;
CREATE MATERIALIZED VIEW public.mv_pay AS SELECT dept, sum(salary) AS total FROM public.v_emp GROUP BY dept;
