"""The statement sandbox (no database): refused kinds name file and line, allowed kinds and
real schemas pass, CREATE ... AS is built WITH NO DATA with positions kept."""

from __future__ import annotations

import json

import pglast
import pytest
from conftest import CORPUS

from diffcheck import loader, sandbox
from diffcheck.errors import SchemaLoadError

HEAD = "-- schema/010_app.sql\ncreate schema app;\n\ncreate table app.t (\n    id int\n);\n"
BAD_LINE = 7  # the line the statement under test starts on, after HEAD

REFUSED = [
    ("drop database victim", "DROP DATABASE"),
    ("create database x", "CREATE DATABASE"),
    ("alter database postgres set work_mem = '1MB'", "ALTER DATABASE"),
    ("alter database postgres owner to nobody", "ALTER DATABASE ... OWNER TO"),
    ("alter database postgres rename to p2", "ALTER DATABASE ... RENAME"),
    ("alter system set work_mem = '1MB'", "ALTER SYSTEM"),
    ("create role r superuser", "CREATE ROLE"),
    ("create user u", "CREATE USER"),
    ("create group g", "CREATE GROUP"),
    ("alter role r createdb", "ALTER ROLE"),
    ("alter role r set work_mem = 1", "ALTER ROLE"),
    ("drop role r", "DROP ROLE"),
    ("drop user if exists u", "DROP ROLE"),
    ("grant pg_read_server_files to r", "GRANT of role membership"),
    ("revoke pg_read_server_files from r", "REVOKE of role membership"),
    ("create tablespace t location '/tmp'", "CREATE TABLESPACE"),
    ("drop tablespace t", "DROP TABLESPACE"),
    ("copy app.t from '/etc/passwd'", "COPY"),
    ("copy (select 1) to program 'touch /tmp/x'", "COPY"),
    ("copy app.t from stdin", "COPY"),
    ("load 'plpgsql'", "LOAD"),
    ("checkpoint", "CHECKPOINT"),
    ("vacuum", "VACUUM"),
    ("analyze app.t", "ANALYZE"),
    ("cluster app.t using i", "CLUSTER"),
    ("reindex table app.t", "REINDEX"),
    ("listen c", "LISTEN"),
    ("notify c", "NOTIFY"),
    ("unlisten *", "UNLISTEN"),
    ("do $$ begin null; end $$", "a DO block"),
    ("call app.p()", "CALL"),
    ("insert into app.t select 1", "INSERT ... SELECT"),
    ("update app.t set id = 1", "UPDATE"),
    ("delete from app.t", "DELETE"),
    ("merge into app.t using app.t s on true when matched then delete", "MERGE"),
    ("truncate app.t", "TRUNCATE"),
    ("prepare p as select 1", "PREPARE"),
    ("execute p", "EXECUTE"),
    ("set role postgres", "SET ROLE"),
    ("set local role postgres", "SET ROLE"),
    ("reset role", "RESET ROLE"),
    ("set session authorization postgres", "SET SESSION AUTHORIZATION"),
    ("reset session authorization", "RESET SESSION AUTHORIZATION"),
    ("reset all", "RESET ALL"),
    ("discard all", "DISCARD"),
    ("set session_replication_role = origin", "SET session_replication_role"),
    ("set allow_system_table_mods = on", "SET allow_system_table_mods"),
    ("alter event trigger e enable always", "ALTER EVENT TRIGGER ... ENABLE ALWAYS"),
    ("alter event trigger e enable replica", "ALTER EVENT TRIGGER ... ENABLE REPLICA"),
    ("security label on table app.t is 'x'", "SECURITY LABEL"),
    ("create subscription s connection 'host=x' publication p", "CREATE SUBSCRIPTION"),
    ("alter subscription s disable", "ALTER SUBSCRIPTION"),
    ("drop subscription s", "DROP SUBSCRIPTION"),
    ("import foreign schema s from server x into app", "IMPORT FOREIGN SCHEMA"),
    ("reassign owned by a to b", "REASSIGN OWNED"),
    ("drop owned by a", "DROP OWNED"),
    ("comment on database postgres is 'x'", "COMMENT ON DATABASE"),
    ("comment on role postgres is 'x'", "COMMENT ON ROLE"),
    ("grant connect on database postgres to public", "GRANT ON DATABASE"),
    ("revoke create on tablespace pg_default from public", "REVOKE ON TABLESPACE"),
    ("grant set on parameter work_mem to public", "GRANT ON PARAMETER"),
    ("explain analyze select 1", "EXPLAIN"),
    ("prepare transaction 'x'", "PREPARE TRANSACTION"),
    ("commit prepared 'x'", "COMMIT PREPARED"),
    ("lock app.t", "LOCK"),
    ("declare c cursor for select 1", "DECLARE CURSOR"),
    ("fetch 1 from c", "FETCH"),
    ("select pg_catalog.pg_sleep(0)", "a call of pg_catalog.pg_sleep"),
    ("select dblink_exec('dbname=postgres', 'drop database v')", "a call of dblink_exec"),
    ("select set_config('a.b', dblink_exec('x', 'y'), false)", "a call of dblink_exec"),
    ("select pg_catalog.set_config('a.b', 'c', false), lo_unlink(1)", "a call of lo_unlink"),
    ("select pg_terminate_backend(pg_backend_pid())", "a call of pg_terminate_backend"),
    ("select pg_cancel_backend(1)", "a call of pg_cancel_backend"),
    ("select pg_reload_conf()", "a call of pg_reload_conf"),
    ("select pg_read_file('/etc/passwd')", "a call of pg_read_file"),
    ("select pg_ls_dir('.')", "a call of pg_ls_dir"),
    ("select lo_import('/etc/passwd')", "a call of lo_import"),
    ("select pg_advisory_lock(1)", "a call of pg_advisory_lock"),
    ("select query_to_xml('drop table x', true, true, '')", "a call of query_to_xml"),
    ("select pg_catalog.binary_upgrade_set_next_pg_type_oid(1)", "a call of "
     "pg_catalog.binary_upgrade_set_next_pg_type_oid"),
    ("select app.f()", "a call of app.f"),
    ("values (app.f())", "a call of app.f"),
    ("select nextval('app.s')", "a call of nextval"),
    ("select set_config('role', 'postgres', false)", "a set_config of role"),
    ("select set_config('Session_Authorization', 'postgres', false)",
     "a set_config of session_authorization"),
    ("select pg_catalog.set_config('session_replication_role', 'origin', false)",
     "a set_config of session_replication_role"),
    ("select set_config(current_user, 'x', false)", "a set_config of a computed setting name"),
    ("select * from app.t", "a SELECT that reads tables or views"),
    ("select 1 + 1", "a top-level SELECT of anything but set_config, setval and current_setting"),
    ("select set_config('a.b', 'x'::app.evil, false)", "a cast to app.evil in a top-level SELECT"),
    ("select 1 into app.t2 from app.t", "a SELECT that reads tables or views"),
    ("create table app.t2 as select pg_read_file('x')", "a call of pg_read_file"),
    ("create materialized view app.mv as select dblink('a', 'b')", "a call of dblink"),
    ("create table app.t3 as execute p", "CREATE TABLE ... AS EXECUTE"),
    ("create table app.p1 partition of app.p for values from (pg_sleep(1)) to (2)",
     "a call of pg_sleep"),
    ("alter table app.t add column b text default pg_read_file('x')", "a call of pg_read_file"),
    ("create function app.f() returns int language c as '/tmp/evil.so', 'f'",
     "a C function loaded from a path outside $libdir"),
    ("create function app.f() returns int language c as '$libdir/../../../tmp/evil', 'f'",
     "a C function loaded from a path outside $libdir"),
    ("select 1 union select 2", "a SELECT that reads tables or views"),
]  # fmt: skip

ALLOWED = [
    "select pg_catalog.set_config('search_path', '', false)",
    "SELECT pg_catalog.setval('app.s', 42, true)",
    "select setval('app.s'::regclass, 1, false)",
    "select set_config('search_path', current_setting('search_path'), false)",
    "set search_path = app, public",
    "set local search_path to default",
    "reset search_path",
    "set check_function_bodies = false",
    "set client_min_messages = warning",
    "set default_tablespace = ''",
    "set time zone 'UTC'",
    "show search_path",
    "begin",
    "commit",
    "create sequence app.s",
    "alter sequence app.s owned by app.t.id",
    "create index concurrently i on app.t (id)",
    "create view app.v as select pg_read_file('x')",  # a definition: nothing runs
    "create materialized view app.mv as select 1",
    "create table app.t4 as select 1 with no data",
    "refresh materialized view app.mv",
    "insert into schema_migrations (version) values ('20200101'), ('20200102')",
    "create type app.mood as enum ('sad', 'ok')",
    "alter type app.mood add value 'happy'",
    "create domain app.pos as int check (value > 0)",
    "create function app.f() returns int language sql as 'select 1'",
    "create function app.g() returns int begin atomic select 1; end",
    "create function app.h() returns text language c as '$libdir/unaccent', 'unaccent_dict'",
    "create aggregate app.s2(int) (sfunc = int4pl, stype = int)",
    "create operator app.=== (function = int4eq, leftarg = int, rightarg = int)",
    "create cast (int as text) with function app.f(int)",
    "create trigger tr after insert on app.t for each row execute function app.f()",
    "create rule r as on insert to app.t do instead nothing",
    "alter table app.t enable row level security",
    "create policy p on app.t using (true)",
    "create event trigger e on ddl_command_start execute function app.f()",
    "alter event trigger e enable",
    "alter event trigger e disable",
    "create extension if not exists pg_trgm with schema public",
    "comment on extension pg_trgm is 'x'",
    "create collation app.c (locale = 'C')",
    "create text search configuration app.c (copy = simple)",
    "alter text search configuration app.c alter mapping for word with simple",
    "create statistics app.st on id, id from app.t",
    "grant select, insert on app.t to public",
    "revoke all on schema app from public",
    "grant execute on function app.f() to public",
    "alter default privileges in schema app grant select on tables to public",
    "alter table app.t owner to postgres",
    "alter schema app owner to postgres",
    "alter function app.f() owner to postgres",
    "alter table app.t rename to t5",
    "comment on table app.t is 'x'",
    "create publication p for table app.t",
    "create foreign data wrapper w",
    "create server s foreign data wrapper w options (host 'x')",
    "create user mapping for public server s",
    "create foreign table app.ft (a int) server s",
    "create table app.p1 partition of app.p for values from (1) to (10)",
    "alter table app.t add column at timestamptz default now()",
    "drop table if exists app.t cascade",
]


def _message(statement: str) -> str:
    with pytest.raises(sandbox.RefusedStatement) as err:
        loader.prepare(HEAD + statement + ";\ncreate table app.after (x int);\n", "schema/x.sql")
    return str(err.value)


@pytest.mark.parametrize(("statement", "kind"), REFUSED, ids=[r[0][:40] for r in REFUSED])
def test_refused_kinds_name_file_and_line(statement: str, kind: str) -> None:
    assert _message(statement) == f"schema/x.sql:{BAD_LINE}: {kind} is not allowed in a schema file"


@pytest.mark.parametrize("statement", ALLOWED)
def test_allowed_kinds_pass(statement: str) -> None:
    prepared = loader.prepare(HEAD + statement + ";\n", "schema/x.sql")
    assert len(prepared.statements) == 3


def test_a_refusal_points_at_the_statement_not_the_comment_above_it() -> None:
    text = "create table a (x int);\n-- a comment\n\n/* more */\n  drop database victim;\n"
    with pytest.raises(SchemaLoadError) as err:
        loader.prepare(text, "f.sql")
    assert str(err.value) == "f.sql:5: DROP DATABASE is not allowed in a schema file"
    assert err.value.line == 5


def test_trusted_skips_the_check_but_not_the_rewrites() -> None:
    text = "do $$ begin null; end $$;\ncreate materialized view mv as select 1;\n"
    prepared = loader.prepare(text, "f.sql", trusted=True)
    assert [st.sql for st in prepared.statements] == [
        None,
        "create materialized view mv as select 1 WITH NO DATA",
    ]


def _skip_data(sql: str) -> bool:
    tree = json.loads(pglast.parser.parse_sql_json(sql))["stmts"][0]["stmt"]
    return bool(tree["CreateTableAsStmt"]["into"].get("skipData"))


@pytest.mark.parametrize(
    "statement",
    [
        "create materialized view mv as select 1",
        "create materialized view mv as select 1 with data",
        "CREATE MATERIALIZED VIEW mv AS SELECT 1\n  WITH DATA /* c */",
        "create table t as select 'é' as x -- trailing comment",
        "create table if not exists t (x) as values (1)",
        "create materialized view mv as with c as (select 1) select * from c",
    ],
)
def test_create_as_is_built_with_no_data_positions_kept(statement: str) -> None:
    prepared = loader.prepare(f"create table a (x int);\n{statement};\n", "f.sql")
    st = prepared.statements[1]
    assert st.sql is not None and _skip_data(st.sql)
    assert not _skip_data(st.text)
    # Everything up to the last token of the query is unchanged, so a server error position
    # inside the statement still maps onto the file.
    query_end = st.text.lower().rfind("with data") if "with data" in st.text.lower() else None
    keep = st.text[:query_end] if query_end is not None else st.text.split("--")[0].rstrip()
    assert st.sql.startswith(keep)


def test_no_data_already_is_left_alone() -> None:
    prepared = loader.prepare("create materialized view mv as select 1 with no data;\n", "f.sql")
    assert prepared.statements[0].sql is None


def test_data_statements_are_skipped() -> None:
    text = (
        "create table schema_migrations (version text);\n"
        "insert into schema_migrations (version) values ('1');\n"
        "create materialized view mv as select 1 with no data;\n"
        "refresh materialized view mv;\n"
    )
    prepared = loader.prepare(text, "f.sql")
    assert [st.skip for st in prepared.statements] == [False, True, False, True]
    batches = list(loader._batches(prepared.statements))
    assert all(not st.skip for batch in batches for st in batch)


CORPUS_FILES = sorted(CORPUS.glob("*.sql"))


@pytest.mark.skipif(not CORPUS_FILES, reason="corpus not available")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.stem for p in CORPUS_FILES])
def test_real_schemas_pass(path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    text = path.read_text(encoding="utf-8")
    if path.stem == "musicbrainz":
        # Its one DO block (a C function, or a fallback where that is not permitted) is code
        # run at load time: refused, and accepted with --trust-schema-sql.
        with pytest.raises(sandbox.RefusedStatement) as err:
            loader.prepare(text, str(path))
        assert str(err.value) == f"{path}:63: a DO block is not allowed in a schema file"
        assert loader.prepare(text, str(path), trusted=True).statements
        _, statements = loader.split(text, str(path))
        do = next(st for st in statements if st.text.startswith("DO $$"))
        text = text[: do.offset] + "select 1 where false" + text[do.offset + len(do.text) :]
        with pytest.raises(sandbox.RefusedStatement):  # a SELECT with WHERE: still refused
            loader.prepare(text, str(path))
        text = text.replace("select 1 where false", "show search_path", 1)
    prepared = loader.prepare(text, str(path))
    assert prepared.statements


@pytest.mark.skipif(not CORPUS_FILES, reason="corpus not available")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.stem for p in CORPUS_FILES])
def test_tree_split_matches_the_fast_split(path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    text = path.read_text(encoding="utf-8")
    fast = loader.split(text, str(path))
    with_trees = loader.split(text, str(path), trees=True)
    assert fast == with_trees  # same blanked text, statements, offsets and "alone" flags


def test_non_ascii_offsets_are_characters() -> None:
    text = "comment on schema public is 'é ü ß';\n-- ✓\ndrop database victim;\n"
    _, statements = loader.split(text, "f.sql", trees=True)
    assert text[statements[1].offset :].startswith("drop database victim")
    with pytest.raises(SchemaLoadError, match=r"^f\.sql:3: DROP DATABASE"):
        loader.prepare(text, "f.sql")


SHADOW = (
    "create function public.set_config(text, text, boolean) returns text\n"
    "    language sql as 'select $1';\n"
    "set search_path = public, pg_catalog;\n"
)


def test_an_unqualified_call_the_schema_could_shadow_is_refused() -> None:
    with pytest.raises(sandbox.RefusedStatement) as err:
        loader.prepare(SHADOW + "select set_config('a.b', 'c', false);\n", "f.sql")
    assert str(err.value) == (
        "f.sql:4: an unqualified call of set_config (the schema defines a set_config) "
        "is not allowed in a schema file"
    )
    # pg_catalog's own, named so, is what pg_dump writes: allowed.
    loader.prepare(SHADOW + "select pg_catalog.set_config('a.b', 'c', false);\n", "f.sql")


def test_shadowing_is_seen_across_the_files_of_a_source() -> None:
    files = [
        ("schema/010.sql", "select set_config('search_path', 'public, pg_catalog', false);\n"),
        ("schema/020.sql", "create domain public.text as pg_catalog.text check (false);\n"),
        ("schema/030.sql", "select pg_catalog.set_config('a.b', 'x'::text, false);\n"),
    ]
    with pytest.raises(sandbox.RefusedStatement) as err:
        loader.prepare_all(files)
    assert str(err.value) == (
        "schema/030.sql:1: an unqualified cast to text (the schema defines a text) "
        "is not allowed in a schema file"
    )
    assert len(loader.prepare_all(files[:1] + files[2:])) == 2
    assert len(loader.prepare_all(files, trusted=True)) == 3
