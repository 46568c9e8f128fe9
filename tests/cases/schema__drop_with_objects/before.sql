-- schema__drop_with_objects: schema with table, view, function and type dropped
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE SCHEMA legacy;
CREATE TYPE legacy.state AS ENUM ('a', 'b');
CREATE TABLE legacy.thing (id integer PRIMARY KEY, st legacy.state);
CREATE VIEW legacy.thing_v AS SELECT id FROM legacy.thing;
CREATE FUNCTION legacy.f() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
