-- view__change_column_type: view column type changes (int -> numeric: drop + create)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    dept text,
    salary numeric(10,2),
    active boolean DEFAULT true
);
CREATE VIEW public.pay AS SELECT id, 1.5 AS factor FROM public.emp;
