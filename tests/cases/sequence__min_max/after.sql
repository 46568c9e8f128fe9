-- sequence__min_max: MINVALUE / MAXVALUE change
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE SEQUENCE public.invoice_no_seq MINVALUE 100 MAXVALUE 999999 START WITH 100;
