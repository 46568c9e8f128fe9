-- quoting__mixed_case_schema: "My Schema" with function, view and sequence
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Data Points" (id integer PRIMARY KEY, "Value" numeric);
