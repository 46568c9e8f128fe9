-- enum__rename_value: an enum label is renamed (values in use)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE public.person (id integer, m public.mood DEFAULT 'ok');
