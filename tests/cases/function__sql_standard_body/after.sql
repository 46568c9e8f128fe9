-- function__sql_standard_body: SQL-standard body (BEGIN ATOMIC / RETURN) with a parsed dependency on a table
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.acct (
    id integer PRIMARY KEY,
    balance numeric(12,2) DEFAULT 0 NOT NULL,
    updated_at timestamptz
);
CREATE FUNCTION public.add_one(v integer) RETURNS integer
    LANGUAGE sql IMMUTABLE
    RETURN v + 1;
CREATE FUNCTION public.acct_count() RETURNS bigint
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT count(*) FROM public.acct;
END;
