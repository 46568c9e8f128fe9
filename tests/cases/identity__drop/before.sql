-- identity__drop: identity removed from a column (sequence goes away)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.account (
    id bigint GENERATED ALWAYS AS IDENTITY,
    name text
);
