-- sequence__increment: INCREMENT BY changes
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE SEQUENCE public.invoice_no_seq INCREMENT BY 10;
