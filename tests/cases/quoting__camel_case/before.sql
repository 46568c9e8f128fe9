-- quoting__camel_case: "CamelCase" table with FK, index and view
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public."CamelCase" ("Id" integer PRIMARY KEY, "DisplayName" text);
CREATE TABLE public."ChildRow" ("Id" integer PRIMARY KEY, "ParentId" integer);
