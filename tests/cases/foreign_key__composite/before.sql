-- foreign_key__composite: composite FK added (two-column key)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.tenant_user (
    tenant_id integer NOT NULL,
    user_id integer NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE TABLE public.tenant_doc (id integer PRIMARY KEY, tenant_id integer NOT NULL, owner_id integer);
