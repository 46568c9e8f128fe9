-- type_change__int_to_bigint: integer -> bigint
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    points bigint DEFAULT 0,
    note text
);
