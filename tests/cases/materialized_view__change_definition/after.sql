-- materialized_view__change_definition: definition changes (matviews cannot be replaced: drop + create)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    dept text,
    salary numeric(10,2),
    active boolean DEFAULT true
);
CREATE MATERIALIZED VIEW public.dept_pay AS SELECT dept, sum(salary) AS total, count(*) AS n FROM public.emp GROUP BY dept;
