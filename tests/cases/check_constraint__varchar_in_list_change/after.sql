-- check_constraint__varchar_in_list_change: varchar IN (...) check gains a value
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.trade (
    id bigint PRIMARY KEY,
    side varchar(4) NOT NULL CHECK (side IN ('buy', 'sell', 'hold')),
    qty integer NOT NULL
);
