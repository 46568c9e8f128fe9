-- schema__comment_and_owner: schema gets a COMMENT and a new owner
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

DO $$ BEGIN CREATE ROLE "dc_owner"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE SCHEMA app;
CREATE TABLE app.t (id integer);
COMMENT ON SCHEMA app IS 'application objects';
ALTER SCHEMA app OWNER TO dc_owner;
