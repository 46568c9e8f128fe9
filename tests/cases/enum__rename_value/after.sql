-- enum__rename_value: enum value renamed (ALTER TYPE ... RENAME VALUE, or recreate)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('sad', 'fine', 'happy');
CREATE TABLE public.person (
    id integer PRIMARY KEY,
    current_mood public.mood
);
