-- policy__using_with_check_change: USING and WITH CHECK expressions change
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

DO $$ BEGIN CREATE ROLE "dc_reader"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE "dc_writer"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE public.note (
    id integer PRIMARY KEY,
    owner name NOT NULL DEFAULT current_user,
    body text,
    published boolean DEFAULT false
);
ALTER TABLE public.note ENABLE ROW LEVEL SECURITY;
CREATE POLICY note_write ON public.note FOR UPDATE TO dc_writer
    USING (owner = current_user) WITH CHECK (owner = current_user AND body IS NOT NULL);
