-- sequence__as_type: sequence data type AS integer -> AS bigint
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE SEQUENCE public.invoice_no_seq AS bigint;
