-- privilege__grant_sequence: USAGE, SELECT on a sequence granted
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

DO $$ BEGIN CREATE ROLE "dc_reader"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE "dc_writer"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE public.note (
    id integer PRIMARY KEY,
    owner name NOT NULL DEFAULT current_user,
    body text,
    published boolean DEFAULT false
);
CREATE SEQUENCE public.note_seq;
