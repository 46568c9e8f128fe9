-- function__sql_standard_body: SQL-standard body (BEGIN ATOMIC / RETURN) with a parsed dependency on a table
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.acct (
    id integer PRIMARY KEY,
    balance numeric(12,2) DEFAULT 0 NOT NULL,
    updated_at timestamptz
);
