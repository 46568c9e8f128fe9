-- sequence__start: START WITH changes
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE SEQUENCE public.invoice_no_seq START WITH 1000;
