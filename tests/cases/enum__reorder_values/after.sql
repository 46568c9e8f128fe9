-- enum__reorder_values: enum values reordered (type must be recreated)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('happy', 'ok', 'sad');
CREATE TABLE public.person (
    id integer PRIMARY KEY,
    current_mood public.mood
);
