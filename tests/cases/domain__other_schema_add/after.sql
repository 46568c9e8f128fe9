-- domain__other_schema_add: a domain is added in a schema outside the search_path and used by a new column
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA ops;
CREATE DOMAIN ops.priority AS smallint NOT NULL CHECK (VALUE BETWEEN 1 AND 5);
CREATE TABLE ops.job (id integer PRIMARY KEY, prio ops.priority DEFAULT 3);
