-- privilege__default_privileges: ALTER DEFAULT PRIVILEGES IN SCHEMA
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

DO $$ BEGIN CREATE ROLE "dc_reader"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE "dc_writer"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE SCHEMA app;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO dc_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT USAGE ON SEQUENCES TO dc_writer;
