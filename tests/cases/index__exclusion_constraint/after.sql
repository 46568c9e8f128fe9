-- index__exclusion_constraint: EXCLUDE USING gist constraint (no btree_gist needed)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.doc (
    id bigint PRIMARY KEY,
    owner_id integer,
    email text,
    title text,
    body text,
    data jsonb,
    created_at timestamptz DEFAULT now(),
    during tstzrange,
    code char(8),
    deleted boolean DEFAULT false
);
ALTER TABLE public.doc ADD CONSTRAINT doc_no_overlap EXCLUDE USING gist (during WITH &&);
