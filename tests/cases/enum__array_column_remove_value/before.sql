-- enum__array_column_remove_value: enum recreated while used by an array column
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE public.diary (
    id integer PRIMARY KEY,
    moods public.mood[] DEFAULT '{}'::public.mood[]
);
