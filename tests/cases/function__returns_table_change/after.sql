-- function__returns_table_change: RETURNS TABLE gains a column (drop + create)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.acct (
    id integer PRIMARY KEY,
    balance numeric(12,2) DEFAULT 0 NOT NULL,
    updated_at timestamptz
);
CREATE FUNCTION public.rich() RETURNS TABLE(id integer, balance numeric)
    LANGUAGE sql STABLE
    AS $$ SELECT id, balance FROM public.acct WHERE balance > 1000 $$;
