-- type_change__varchar_to_text: varchar(20) -> text
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    code varchar(20),
    note text
);
