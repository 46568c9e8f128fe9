-- enum__quoted_and_spaced_labels: labels with quotes and spaces (O'Brien, 'in progress')
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('plain', 'in progress');
CREATE TABLE public.person (
    id integer PRIMARY KEY,
    current_mood public.mood
);
