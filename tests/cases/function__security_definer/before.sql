-- function__security_definer: function becomes SECURITY DEFINER with pinned search_path
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.acct (
    id integer PRIMARY KEY,
    balance numeric(12,2) DEFAULT 0 NOT NULL,
    updated_at timestamptz
);
CREATE FUNCTION public.bump(p_id integer) RETURNS void
    LANGUAGE sql
    AS $$ UPDATE public.acct SET balance = balance + 1 WHERE id = p_id $$;
