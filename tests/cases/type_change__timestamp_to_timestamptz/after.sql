-- type_change__timestamp_to_timestamptz: timestamp -> timestamptz (TimeZone-dependent conversion)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    seen_at timestamp with time zone,
    note text
);
