-- foreign_key__set_null_column_list: PG15 ON DELETE SET NULL (column list)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.member (tenant_id integer NOT NULL, id integer NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE TABLE public.post (
    tenant_id integer NOT NULL,
    id integer NOT NULL,
    author_id integer,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, author_id) REFERENCES public.member (tenant_id, id) ON DELETE SET NULL (author_id)
);
