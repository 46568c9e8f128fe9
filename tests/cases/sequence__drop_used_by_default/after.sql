-- sequence__drop_used_by_default: sequence and the column default using it are dropped (default first)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.ticket (id bigint NOT NULL, code text);
