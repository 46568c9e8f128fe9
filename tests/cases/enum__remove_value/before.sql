-- enum__remove_value: enum value removed (type must be recreated; columns re-typed)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE public.person (
    id integer PRIMARY KEY,
    current_mood public.mood
);
