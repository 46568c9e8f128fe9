-- column__add_with_sequence_default: new sequence + new column defaulting to nextval (sequence first)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text
);
