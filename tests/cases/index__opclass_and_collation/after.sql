-- index__opclass_and_collation: index with text_pattern_ops opclass and explicit COLLATE "C"
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
CREATE INDEX doc_title_prefix ON public.doc (title text_pattern_ops);
CREATE INDEX doc_email_c ON public.doc (email COLLATE "C");
