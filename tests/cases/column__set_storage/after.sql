-- column__set_storage: ALTER COLUMN SET STORAGE EXTERNAL
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text,
    blob text
);
ALTER TABLE public.orders ALTER COLUMN blob SET STORAGE EXTERNAL;
