-- enum__create_with_column: new enum type and a new column using it
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('sad', 'happy');
CREATE TABLE public.person (
    id integer PRIMARY KEY,
    current_mood public.mood DEFAULT 'happy'::public.mood
);
