-- enum__remove_value_used_in_column_default: enum recreated while a column DEFAULT references it (default must be dropped/re-added)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TYPE public.doc_status AS ENUM ('draft', 'pending', 'published');
CREATE TABLE public.document (
    id integer PRIMARY KEY,
    status public.doc_status DEFAULT 'draft'::public.doc_status NOT NULL
);
