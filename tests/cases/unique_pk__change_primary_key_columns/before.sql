-- unique_pk__change_primary_key_columns: PK changes from (id) to (region, id)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.item (
    region text NOT NULL,
    id integer NOT NULL,
    CONSTRAINT item_pkey PRIMARY KEY (id)
);
