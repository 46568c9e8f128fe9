-- table__create_unlogged: a new UNLOGGED table
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE UNLOGGED TABLE public.scratch (id bigint, body text);
