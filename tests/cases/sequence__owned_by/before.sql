-- sequence__owned_by: sequence becomes OWNED BY a column
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.ticket (id bigint NOT NULL, code text);
CREATE SEQUENCE public.ticket_id_seq;
ALTER TABLE public.ticket ALTER COLUMN id SET DEFAULT nextval('public.ticket_id_seq'::regclass);
