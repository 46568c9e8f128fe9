-- sequence__owned_by_change: a sequence's OWNED BY moves to another column
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.t (a integer, b integer);
CREATE SEQUENCE public.s OWNED BY public.t.b;
