-- table__create_in_new_schema: new schema plus a table inside it
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE SCHEMA billing;
CREATE TABLE billing.ledger (
    id bigint PRIMARY KEY,
    entry_date date NOT NULL,
    amount numeric(14,2) NOT NULL
);
