-- enum__create_with_column: new enum type and a new column using it
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.person (
    id integer PRIMARY KEY
);
