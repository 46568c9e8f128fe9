-- unique_pk__add_primary_key: table gains a PRIMARY KEY
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.item (
    id integer NOT NULL,
    sku text
);
