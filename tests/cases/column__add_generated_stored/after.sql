-- column__add_generated_stored: add a STORED generated column
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.line (
    id integer PRIMARY KEY,
    qty integer NOT NULL,
    price numeric(10,2) NOT NULL,
    total numeric GENERATED ALWAYS AS (qty * price) STORED
);
