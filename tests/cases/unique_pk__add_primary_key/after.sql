-- unique_pk__add_primary_key: table gains a PRIMARY KEY
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.item (
    id integer NOT NULL PRIMARY KEY,
    sku text
);
