-- domain__other_schema_check_change: a domain outside the search_path changes its CHECK and default (schemainspect only read visible types)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA "Billing";
CREATE DOMAIN "Billing".amount AS numeric(12,2) DEFAULT 0 CHECK (VALUE >= 0);
CREATE TABLE "Billing".invoice (id integer PRIMARY KEY, total "Billing".amount);
