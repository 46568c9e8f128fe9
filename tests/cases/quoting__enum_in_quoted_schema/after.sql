-- quoting__enum_in_quoted_schema: "Enum Types"."Status Kind" enum gets a value; table uses it with default
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA "Enum Types";
CREATE TYPE "Enum Types"."Status Kind" AS ENUM ('Open', 'In Review', 'Closed', 'Won''t Fix');
CREATE TABLE public."Tickets" (id integer PRIMARY KEY, "Status" "Enum Types"."Status Kind" DEFAULT 'Open' NOT NULL);
