-- quoting__hostile_role_names: grants and policy for roles named "dc_o'brien" and "dc_read only"
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

DO $$ BEGIN CREATE ROLE "dc_o'brien"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE "dc_read only"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE public."Secrets" (id integer PRIMARY KEY, "Owner Name" text);
