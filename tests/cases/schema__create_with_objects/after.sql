-- schema__create_with_objects: schema created with dependent objects (type -> table -> view -> function)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE SCHEMA inventory;
CREATE TYPE inventory.unit AS ENUM ('kg', 'pcs');
CREATE TABLE inventory.stock (id integer PRIMARY KEY, qty numeric NOT NULL, unit inventory.unit NOT NULL);
CREATE VIEW inventory.stock_kg AS SELECT id, qty FROM inventory.stock WHERE unit = 'kg';
CREATE FUNCTION inventory.total_kg() RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT sum(qty) FROM inventory.stock_kg $$;
