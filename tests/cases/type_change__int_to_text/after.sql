-- type_change__int_to_text: integer -> text (assignment cast exists, no USING needed)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    zip text,
    note text
);
