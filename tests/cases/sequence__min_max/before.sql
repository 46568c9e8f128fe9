-- sequence__min_max: MINVALUE / MAXVALUE change
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE SEQUENCE public.invoice_no_seq;
