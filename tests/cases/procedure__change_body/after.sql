-- procedure__change_body: procedure body changes
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.acct (
    id integer PRIMARY KEY,
    balance numeric(12,2) DEFAULT 0 NOT NULL,
    updated_at timestamptz
);
CREATE PROCEDURE public.deposit(IN p_id integer, IN p_amount numeric)
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE public.acct SET balance = balance + p_amount WHERE id = p_id;
    UPDATE public.acct SET updated_at = now() WHERE id = p_id;
END;
$$;
