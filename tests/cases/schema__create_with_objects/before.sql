-- schema__create_with_objects: schema created with dependent objects (type -> table -> view -> function)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
