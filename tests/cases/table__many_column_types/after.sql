-- table__many_column_types: new table covering many built-in types
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE TABLE public.kitchen_sink (
    id bigint PRIMARY KEY,
    small smallint,
    price numeric(10,2),
    ratio double precision,
    flag boolean DEFAULT false,
    label varchar(40),
    fixed char(3),
    body text,
    doc jsonb DEFAULT '{}'::jsonb,
    uid uuid,
    tags text[],
    raw bytea,
    addr inet,
    net cidr,
    span interval,
    born date,
    at_local timestamp,
    at_utc timestamptz,
    during tstzrange,
    loc point
);
