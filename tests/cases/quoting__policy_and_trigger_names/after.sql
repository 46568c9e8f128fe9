-- quoting__policy_and_trigger_names: policy, trigger and function names with spaces/quotes
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public."Audit Trail" (id integer PRIMARY KEY, "Changed At" timestamptz);
ALTER TABLE public."Audit Trail" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Everyone ""reads""" ON public."Audit Trail" FOR SELECT USING (true);
CREATE FUNCTION public."Stamp It"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW."Changed At" := now(); RETURN NEW; END $$;
CREATE TRIGGER "Stamp Before Update" BEFORE UPDATE ON public."Audit Trail" FOR EACH ROW EXECUTE FUNCTION public."Stamp It"();
