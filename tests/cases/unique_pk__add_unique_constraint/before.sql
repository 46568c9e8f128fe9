-- unique_pk__add_unique_constraint: multi-column UNIQUE constraint added
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.item (
    id integer PRIMARY KEY,
    vendor text,
    sku text
);
