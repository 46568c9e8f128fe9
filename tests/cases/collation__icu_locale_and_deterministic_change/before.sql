-- collation__icu_locale_and_deterministic_change: ICU collations change locale and determinism (schemainspect read the locale as NULL for both)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE SCHEMA mb;
CREATE COLLATION mb.natural (provider = icu, locale = 'und');
CREATE COLLATION mb.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
