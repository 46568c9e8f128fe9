-- unique_pk__drop_primary_key: table loses its PRIMARY KEY
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.item (
    id integer NOT NULL,
    sku text
);
