-- type_change__varchar_widen: varchar(10) -> varchar(50)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    code varchar(50),
    note text
);
