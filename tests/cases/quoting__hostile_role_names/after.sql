-- quoting__hostile_role_names: grants and policy for roles named "dc_o'brien" and "dc_read only"
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

DO $$ BEGIN CREATE ROLE "dc_o'brien"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE "dc_read only"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE public."Secrets" (id integer PRIMARY KEY, "Owner Name" text);
ALTER TABLE public."Secrets" ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON TABLE public."Secrets" TO "dc_read only";
GRANT SELECT, UPDATE ("Owner Name") ON TABLE public."Secrets" TO "dc_o'brien";
CREATE POLICY "O'Brien can read" ON public."Secrets" FOR SELECT TO "dc_o'brien", "dc_read only" USING ("Owner Name" = current_user);
