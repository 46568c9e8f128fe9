-- column__add_nullable: add a nullable column at the end
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text,
    shipped_at timestamptz
);
