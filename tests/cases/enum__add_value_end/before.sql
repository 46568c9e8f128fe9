-- enum__add_value_end: enum value appended at the end
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('sad', 'ok');
CREATE TABLE public.person (
    id integer PRIMARY KEY,
    current_mood public.mood
);
