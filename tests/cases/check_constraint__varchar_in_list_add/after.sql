-- check_constraint__varchar_in_list_add: varchar IN (...) check added (PG rewrites it to = ANY(ARRAY[...]::text[]); migra loops)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.trade (
    id bigint PRIMARY KEY,
    side varchar(4) NOT NULL CHECK (side IN ('buy', 'sell')),
    qty integer NOT NULL
);
