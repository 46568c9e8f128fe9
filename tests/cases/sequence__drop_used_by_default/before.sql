-- sequence__drop_used_by_default: sequence and the column default using it are dropped (default first)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.ticket (id bigint NOT NULL, code text);
CREATE SEQUENCE public.ticket_code_seq;
ALTER TABLE public.ticket ALTER COLUMN id SET DEFAULT nextval('public.ticket_code_seq'::regclass);
