-- column__change_generated_expression: generation expression changes (PG15 has no SET EXPRESSION: drop+add column)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.line (
    id integer PRIMARY KEY,
    qty integer NOT NULL,
    price numeric(10,2) NOT NULL,
    total numeric GENERATED ALWAYS AS ((qty * price) * 1.2) STORED
);
