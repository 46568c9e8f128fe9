-- quoting__camel_case: "CamelCase" table with FK, index and view
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public."CamelCase" ("Id" integer PRIMARY KEY, "DisplayName" text);
CREATE TABLE public."ChildRow" ("Id" integer PRIMARY KEY, "ParentId" integer
    CONSTRAINT "FK_ChildRow_CamelCase" REFERENCES public."CamelCase" ("Id"));
CREATE INDEX "IX_ChildRow_ParentId" ON public."ChildRow" ("ParentId");
CREATE VIEW public."CamelView" AS SELECT "Id", "DisplayName" AS "Name" FROM public."CamelCase";
