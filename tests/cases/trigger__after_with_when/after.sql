-- trigger__after_with_when: AFTER UPDATE trigger with WHEN clause
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.acct (
    id integer PRIMARY KEY,
    balance numeric(12,2) DEFAULT 0 NOT NULL,
    updated_at timestamptz
);
CREATE FUNCTION public.log_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE NOTICE 'balance changed';
    RETURN NULL;
END;
$$;
CREATE TRIGGER acct_log AFTER UPDATE ON public.acct FOR EACH ROW
    WHEN (OLD.balance IS DISTINCT FROM NEW.balance) EXECUTE FUNCTION public.log_change();
