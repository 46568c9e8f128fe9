-- index__create_btree: plain btree index added
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
CREATE INDEX doc_owner_idx ON public.doc (owner_id);
