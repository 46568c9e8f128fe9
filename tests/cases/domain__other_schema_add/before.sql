-- domain__other_schema_add: a domain is added in a schema outside the search_path and used by a new column
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA ops;
CREATE TABLE ops.job (id integer PRIMARY KEY);
