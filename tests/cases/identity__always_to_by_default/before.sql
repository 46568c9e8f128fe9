-- identity__always_to_by_default: ALWAYS -> BY DEFAULT
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.account (
    id bigint GENERATED ALWAYS AS IDENTITY,
    name text
);
