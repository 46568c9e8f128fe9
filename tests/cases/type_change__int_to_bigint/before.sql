-- type_change__int_to_bigint: integer -> bigint
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    points integer DEFAULT 0,
    note text
);
