-- enum__add_value_after: enum value inserted after the first (ADD VALUE ... AFTER)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('sad', 'happy', 'ecstatic');
CREATE TABLE public.person (
    id integer PRIMARY KEY,
    current_mood public.mood
);
