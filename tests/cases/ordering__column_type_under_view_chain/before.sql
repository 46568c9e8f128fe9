-- ordering__column_type_under_view_chain: column type changes under view -> view -> matview chain
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    salary numeric(10,2)
);
CREATE VIEW public.v1 AS SELECT id, name FROM public.emp;
CREATE VIEW public.v2 AS SELECT id, name FROM public.v1;
CREATE MATERIALIZED VIEW public.mv AS SELECT count(*) AS n, max(name) AS top FROM public.v2;
