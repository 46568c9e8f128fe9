-- sequence__in_other_schema_negative: descending sequence in its own schema
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE SCHEMA counters;
CREATE SEQUENCE counters.countdown INCREMENT BY -1 MINVALUE -1000 MAXVALUE -1 START WITH -1;
