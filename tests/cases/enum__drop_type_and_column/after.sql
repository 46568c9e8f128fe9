-- enum__drop_type_and_column: enum type dropped together with the column using it
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.person (
    id integer PRIMARY KEY
);
