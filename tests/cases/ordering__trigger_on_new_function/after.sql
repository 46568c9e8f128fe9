-- ordering__trigger_on_new_function: new trigger function and trigger; old trigger+function dropped
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    salary numeric(10,2)
);
CREATE FUNCTION public.new_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := trim(NEW.name); RETURN NEW; END $$;
CREATE TRIGGER emp_new BEFORE INSERT OR UPDATE ON public.emp FOR EACH ROW EXECUTE FUNCTION public.new_trg();
