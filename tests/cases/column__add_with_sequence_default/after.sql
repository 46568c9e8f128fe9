-- column__add_with_sequence_default: new sequence + new column defaulting to nextval (sequence first)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SEQUENCE public.order_ref_seq START WITH 1000;
CREATE TABLE public.orders (
    id integer PRIMARY KEY,
    note text,
    ref bigint DEFAULT nextval('public.order_ref_seq'::regclass) NOT NULL
);
