-- type_change__varchar_narrow: varchar(50) -> varchar(10) (fine on empty/short data)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    code varchar(10),
    note text
);
