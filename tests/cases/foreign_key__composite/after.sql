-- foreign_key__composite: composite FK added (two-column key)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.tenant_user (
    tenant_id integer NOT NULL,
    user_id integer NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE TABLE public.tenant_doc (id integer PRIMARY KEY, tenant_id integer NOT NULL, owner_id integer,
    CONSTRAINT tenant_doc_owner_fk FOREIGN KEY (tenant_id, owner_id) REFERENCES public.tenant_user (tenant_id, user_id));
