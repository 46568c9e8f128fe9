-- quoting__embedded_quotes: identifiers containing single and double quotes
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public."it's" (id integer PRIMARY KEY, "say ""hi""" text);
