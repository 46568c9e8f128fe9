-- index__gin_tsvector_expression: GIN index on a to_tsvector expression
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
CREATE INDEX doc_fts_idx ON public.doc USING gin (to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || coalesce(body, '')));
