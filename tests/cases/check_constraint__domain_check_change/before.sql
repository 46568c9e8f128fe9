-- check_constraint__domain_check_change: CHECK on a DOMAIN used by a column changes
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE DOMAIN public.percent AS numeric(5,2) CONSTRAINT percent_range CHECK (VALUE >= 0 AND VALUE <= 100);
CREATE TABLE public.tax (id integer PRIMARY KEY, rate public.percent NOT NULL);
