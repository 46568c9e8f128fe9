-- unique_pk__drop_primary_key: table loses its PRIMARY KEY
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.item (
    id integer NOT NULL PRIMARY KEY,
    sku text
);
