-- column__change_default: change a default expression
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text,
    created_at timestamptz DEFAULT now()
);
