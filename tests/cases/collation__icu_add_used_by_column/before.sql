-- collation__icu_add_used_by_column: an ICU collation is added in its own schema and used by a new column (musicbrainz)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA mb;
CREATE TABLE mb.artist (id integer PRIMARY KEY);
