-- operator__add_with_commutator_used_by_view: user-defined operators (with a commutator) and a view using one are added (migra never reads operators)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA "Ops";
CREATE TABLE "Ops".pairs (a integer, b integer);
CREATE FUNCTION "Ops".near(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs($1 - $2) <= 1 $$;
CREATE OPERATOR "Ops".~~~ (FUNCTION = "Ops".near, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = OPERATOR("Ops".~~~), RESTRICT = eqsel, JOIN = eqjoinsel);
CREATE VIEW "Ops".close_pairs AS SELECT a, b FROM "Ops".pairs WHERE a OPERATOR("Ops".~~~) b;
