-- column__set_storage: ALTER COLUMN SET STORAGE EXTERNAL
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text,
    blob text
);
