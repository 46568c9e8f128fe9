-- ordering__domain_used_by_column_and_function: new domain used by a new column and a new function
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE DOMAIN public.email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    salary numeric(10,2),
    mail public.email
);
CREATE FUNCTION public.mail_domain(m public.email) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT split_part(m, '@', 2) $$;
