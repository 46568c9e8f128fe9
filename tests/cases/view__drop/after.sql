-- view__drop: view dropped
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    dept text,
    salary numeric(10,2),
    active boolean DEFAULT true
);
