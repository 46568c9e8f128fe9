-- type_change__bool_to_int: boolean -> integer (explicit-only cast: needs USING)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: refuse

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    vip integer DEFAULT 0,
    note text
);
