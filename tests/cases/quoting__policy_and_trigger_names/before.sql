-- quoting__policy_and_trigger_names: policy, trigger and function names with spaces/quotes
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public."Audit Trail" (id integer PRIMARY KEY, "Changed At" timestamptz);
ALTER TABLE public."Audit Trail" ENABLE ROW LEVEL SECURITY;
