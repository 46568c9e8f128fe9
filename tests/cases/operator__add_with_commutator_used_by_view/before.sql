-- operator__add_with_commutator_used_by_view: user-defined operators (with a commutator) and a view using one are added (migra never reads operators)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA "Ops";
CREATE TABLE "Ops".pairs (a integer, b integer);
