-- type_change__bool_to_int: boolean -> integer (explicit-only cast: needs USING)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: refuse

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    vip boolean DEFAULT false,
    note text
);
