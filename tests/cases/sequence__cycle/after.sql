-- sequence__cycle: sequence becomes CYCLE
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE SEQUENCE public.invoice_no_seq MAXVALUE 9999 CYCLE;
