-- identity__add_to_existing_column: plain NOT NULL column becomes GENERATED ALWAYS AS IDENTITY
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.account (
    id bigint NOT NULL,
    name text
);
