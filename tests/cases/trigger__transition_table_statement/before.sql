-- trigger__transition_table_statement: statement-level trigger with REFERENCING NEW TABLE
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.acct (
    id integer PRIMARY KEY,
    balance numeric(12,2) DEFAULT 0 NOT NULL,
    updated_at timestamptz
);
CREATE FUNCTION public.count_new() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM count(*) FROM new_rows;
    RETURN NULL;
END;
$$;
