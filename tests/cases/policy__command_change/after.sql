-- policy__command_change: policy command FOR SELECT -> FOR ALL (cannot ALTER: drop + create)
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
CREATE POLICY note_p ON public.note FOR ALL TO dc_reader USING (published) WITH CHECK (published);
