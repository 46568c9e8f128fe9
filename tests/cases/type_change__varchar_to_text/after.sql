-- type_change__varchar_to_text: varchar(20) -> text
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    code text,
    note text
);
