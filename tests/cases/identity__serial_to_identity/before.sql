-- identity__serial_to_identity: serial column converted to identity (implicit sequence names collide: drop before add)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.account (
    id serial PRIMARY KEY,
    name text
);
