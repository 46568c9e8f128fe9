-- enum__add_value_before: enum value inserted in the middle (ADD VALUE ... BEFORE)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('sad', 'happy');
CREATE TABLE public.person (
    id integer PRIMARY KEY,
    current_mood public.mood
);
