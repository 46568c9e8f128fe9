-- enum__add_value_first: enum value inserted at the very beginning
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('miserable', 'sad', 'happy');
CREATE TABLE public.person (
    id integer PRIMARY KEY,
    current_mood public.mood
);
