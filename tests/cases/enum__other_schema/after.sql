-- enum__other_schema: enum lives in another schema; value added; used by public table
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA types;
CREATE TYPE types.color AS ENUM ('red', 'green', 'blue');
CREATE TABLE public.paint (id integer PRIMARY KEY, color types.color NOT NULL);
