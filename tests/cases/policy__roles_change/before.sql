-- policy__roles_change: policy TO roles change (ALTER POLICY ... TO)
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
ALTER TABLE public.note ENABLE ROW LEVEL SECURITY;
CREATE POLICY note_read ON public.note FOR SELECT TO dc_reader USING (published);
