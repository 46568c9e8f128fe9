-- identity__new_table: new table with an identity PK
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE TABLE public.account (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text
);
