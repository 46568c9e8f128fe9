-- identity__drop: identity removed from a column (sequence goes away)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.account (
    id bigint NOT NULL,
    name text
);
