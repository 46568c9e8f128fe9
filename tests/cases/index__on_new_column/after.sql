-- index__on_new_column: new column plus an index on it
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.doc (
    id bigint PRIMARY KEY,
    title text,
    slug text
);
CREATE UNIQUE INDEX doc_slug_key ON public.doc (slug);
