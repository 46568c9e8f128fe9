-- enum__drop_type_and_column: enum type dropped together with the column using it
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.mood AS ENUM ('sad', 'happy');
CREATE TABLE public.person (
    id integer PRIMARY KEY,
    current_mood public.mood
);
