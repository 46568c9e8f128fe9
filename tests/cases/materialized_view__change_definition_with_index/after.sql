-- materialized_view__change_definition_with_index: definition changes; its index must be recreated too
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    dept text,
    salary numeric(10,2),
    active boolean DEFAULT true
);
CREATE MATERIALIZED VIEW public.dept_pay AS SELECT dept, max(salary) AS total FROM public.emp GROUP BY dept;
CREATE UNIQUE INDEX dept_pay_dept_key ON public.dept_pay (dept);
