-- collation__icu_locale_and_deterministic_change: ICU collations change locale and determinism (schemainspect read the locale as NULL for both)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA mb;
CREATE COLLATION mb.natural (provider = icu, locale = '@colCaseFirst=lower;colNumeric=yes');
CREATE COLLATION mb.ci (provider = icu, locale = 'und-u-ks-level2');
