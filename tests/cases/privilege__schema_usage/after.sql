-- privilege__schema_usage: USAGE/CREATE on a schema granted
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

DO $$ BEGIN CREATE ROLE "dc_reader"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE "dc_writer"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE SCHEMA app;
CREATE TABLE app.t (id integer);
GRANT USAGE ON SCHEMA app TO dc_reader;
GRANT USAGE, CREATE ON SCHEMA app TO dc_writer;
