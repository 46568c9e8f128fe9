-- collation__icu_add_used_by_column: an ICU collation is added in its own schema and used by a new column (musicbrainz)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA mb;
CREATE COLLATION mb.musicbrainz (provider = icu, locale = '@colCaseFirst=lower;colNumeric=yes');
CREATE TABLE mb.artist (id integer PRIMARY KEY, name varchar COLLATE mb.musicbrainz);
CREATE INDEX artist_name_idx ON mb.artist (name COLLATE mb.musicbrainz);
