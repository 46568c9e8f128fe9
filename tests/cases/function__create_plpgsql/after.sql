-- function__create_plpgsql: new plpgsql function
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.acct (
    id integer PRIMARY KEY,
    balance numeric(12,2) DEFAULT 0 NOT NULL,
    updated_at timestamptz
);
CREATE FUNCTION public.acct_total() RETURNS numeric
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    t numeric;
BEGIN
    SELECT coalesce(sum(balance), 0) INTO t FROM public.acct;
    RETURN t;
END;
$$;
