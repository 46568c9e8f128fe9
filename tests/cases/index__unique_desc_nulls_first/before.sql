-- index__unique_desc_nulls_first: unique multi-column index with DESC NULLS FIRST
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
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
