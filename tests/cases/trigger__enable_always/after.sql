-- trigger__enable_always: trigger set to ENABLE ALWAYS (fires under session_replication_role=replica)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.acct (
    id integer PRIMARY KEY,
    balance numeric(12,2) DEFAULT 0 NOT NULL,
    updated_at timestamptz
);
CREATE FUNCTION public.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
CREATE TRIGGER acct_touch BEFORE UPDATE ON public.acct FOR EACH ROW EXECUTE FUNCTION public.touch();
ALTER TABLE public.acct ENABLE ALWAYS TRIGGER acct_touch;
