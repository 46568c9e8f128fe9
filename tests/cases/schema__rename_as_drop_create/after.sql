-- schema__rename_as_drop_create: schema renamed old_app -> new_app (seen as drop + create)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE SCHEMA new_app;
CREATE TABLE new_app.cfg (k text PRIMARY KEY, v text);
