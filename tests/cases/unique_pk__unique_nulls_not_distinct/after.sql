-- unique_pk__unique_nulls_not_distinct: PG15 UNIQUE NULLS NOT DISTINCT replaces plain UNIQUE
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.item (
    id integer PRIMARY KEY,
    sku text,
    CONSTRAINT item_sku_key UNIQUE NULLS NOT DISTINCT (sku)
);
