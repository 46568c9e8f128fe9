-- type_change__text_to_int: text -> integer (no implicit/assignment cast: needs USING)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: refuse

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    zip integer,
    note text
);
