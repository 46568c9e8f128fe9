-- index__brin_pages_per_range: BRIN index with pages_per_range
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
CREATE INDEX doc_created_brin ON public.doc USING brin (created_at) WITH (pages_per_range = 32);
