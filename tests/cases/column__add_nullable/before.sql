-- column__add_nullable: add a nullable column at the end
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text
);
