-- trigger__constraint_trigger_deferrable: deferrable constraint trigger
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
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
