-- trigger__constraint_trigger_deferrable: deferrable constraint trigger
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.acct (
    id integer PRIMARY KEY,
    balance numeric(12,2) DEFAULT 0 NOT NULL,
    updated_at timestamptz
);
CREATE FUNCTION public.check_balance() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.balance < 0 THEN RAISE EXCEPTION 'negative'; END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER acct_balance_check AFTER INSERT OR UPDATE ON public.acct
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_balance();
