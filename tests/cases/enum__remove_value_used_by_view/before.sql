-- enum__remove_value_used_by_view: enum recreated while a view depends on the column (view dropped/recreated)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE public.person (
    id integer PRIMARY KEY,
    current_mood public.mood
);
CREATE VIEW public.happy_people AS SELECT id FROM public.person WHERE current_mood = 'happy';
