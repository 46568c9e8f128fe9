-- unique_pk__unique_deferrable: UNIQUE becomes DEFERRABLE INITIALLY DEFERRED
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.slot (
    id integer PRIMARY KEY,
    position integer,
    CONSTRAINT slot_position_key UNIQUE (position)
);
