-- quoting__mixed_case_schema: "My Schema" with function, view and sequence
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Data Points" (id integer PRIMARY KEY, "Value" numeric);
CREATE SEQUENCE "My Schema"."Point Seq" START WITH 10;
CREATE FUNCTION "My Schema"."Double It"(v numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT v * 2 $$;
CREATE VIEW "My Schema"."Doubled View" AS SELECT id, "My Schema"."Double It"("Value") AS "Doubled" FROM "My Schema"."Data Points";
