-- schema__create: empty schema created
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE SCHEMA reporting;
