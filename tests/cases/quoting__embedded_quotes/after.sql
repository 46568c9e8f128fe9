-- quoting__embedded_quotes: identifiers containing single and double quotes
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public."it's" (id integer PRIMARY KEY, "say ""hi""" text, "O'Brien's col" text DEFAULT 'O''Brien');
COMMENT ON COLUMN public."it's"."say ""hi""" IS 'quote''s test';
CREATE INDEX "idx ""quoted""" ON public."it's" ("say ""hi""");
