-- table__add_inheritance: existing table starts INHERITing from a parent (columns stay local)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.vehicle (id integer NOT NULL, name text);
CREATE TABLE public.truck (id integer NOT NULL, name text, payload_kg integer) INHERITS (public.vehicle);
