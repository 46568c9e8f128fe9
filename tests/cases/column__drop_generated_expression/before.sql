-- column__drop_generated_expression: generated column becomes a plain column (ALTER COLUMN DROP EXPRESSION)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.line (
    id integer PRIMARY KEY,
    qty integer NOT NULL,
    doubled integer GENERATED ALWAYS AS (qty * 2) STORED
);
