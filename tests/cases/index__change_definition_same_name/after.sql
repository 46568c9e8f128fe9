-- index__change_definition_same_name: index keeps its name, columns change
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
CREATE INDEX doc_lookup_idx ON public.doc (owner_id, created_at);
