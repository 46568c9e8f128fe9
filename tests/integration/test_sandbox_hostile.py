"""Hostile schema files against the real server: each is refused with one ``file:line`` line
and exit 1 before anything runs (no scratch database is even created), and the server is
untouched. pg_dump and ``init`` output pass; CREATE ... AS runs no code; --trust-schema-sql
runs a normally refused statement and says so."""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest
from conftest import DB, Run, no_scratch_created

from diffcheck import loader, pg
from diffcheck import precommit as precommit_mod

scratch_created = pytest.fixture(autouse=True, name="scratch_created")(no_scratch_created)


def _admin(pg_url: str, query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with contextlib.closing(psycopg2.connect(pg_url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(query, params)
            return list(cur.fetchall()) if cur.description else []


def _role_exists(pg_url: str, name: str) -> bool:
    return bool(_admin(pg_url, "select 1 from pg_roles where rolname = %s", (name,)))


@pytest.fixture
def role(pg_url: str) -> Iterator[str]:
    """A unique role name, dropped after the test if anything created it."""
    name = "dc_sbx_" + secrets.token_hex(4)
    yield name
    _admin(pg_url, f'drop role if exists "{name}"')


def _schema(tmp_path: Path, bad: str) -> tuple[Path, int]:
    """A schema directory whose second file holds ``bad`` on a known line."""
    root = tmp_path / "schema"
    root.mkdir()
    (root / "010_tables.sql").write_text("create table public.t (id int primary key);\n")
    text = "-- hostile\ncreate table public.u (id int);\n\n" + bad + ";\n"
    (root / "020_more.sql").write_text(text + "create table public.w (id int);\n")
    return root, 4


def _refused(run: Run, root: Path, line: int, kind: str) -> None:
    assert run.code == 1, (run.code, run.out, run.err)
    expected = f"error: {root}/020_more.sql:{line}: {kind} is not allowed in a schema file"
    assert run.err.splitlines() == [expected], run.err
    assert run.out == ""


def _check(run_cli: Callable[..., Run], live: DB, root: Path, *extra: str) -> Run:
    return run_cli("check", "--live", live.url, "--desired", str(root), *extra)


def test_drop_database(run_cli, make_db, tmp_path, scratch_created) -> None:
    live, victim = make_db("create table public.t (id int primary key);"), make_db()
    root, line = _schema(tmp_path, f"drop database {victim.name}")
    _refused(_check(run_cli, live, root), root, line, "DROP DATABASE")
    assert victim.query("select current_database()") == [(victim.name,)]
    assert scratch_created == []  # refused before any database work


@pytest.mark.parametrize("command", ["diff", "plan", "apply"])
def test_every_command_that_builds_refuses(run_cli, make_db, tmp_path, command) -> None:
    live, victim = make_db(), make_db()
    root, line = _schema(tmp_path, f"drop database {victim.name}")
    args = {
        "diff": ["diff", live.url, str(root)],
        "plan": ["plan", "--live", live.url, "--desired", str(root), "-o", str(tmp_path / "p.sql")],
        "apply": ["apply", "--auto", "--live", live.url, "--desired", str(root)],
    }[command]
    _refused(run_cli(*args), root, line, "DROP DATABASE")
    assert victim.query("select 1") == [(1,)]
    assert not (tmp_path / "p.sql").exists()


def test_copy_to_program(run_cli, make_db, tmp_path) -> None:
    marker = Path("/tmp") / f"dc_sbx_{secrets.token_hex(6)}"
    live = make_db()
    root, line = _schema(tmp_path, f"copy (select 1) to program 'touch {marker}'")
    _refused(_check(run_cli, live, root), root, line, "COPY")
    assert not marker.exists()


def test_alter_system(run_cli, make_db, pg_url, tmp_path) -> None:
    value = str(100000 + secrets.randbelow(99999))
    live = make_db()
    root, line = _schema(tmp_path, f"alter system set log_min_duration_statement = {value}")
    _refused(_check(run_cli, live, root), root, line, "ALTER SYSTEM")
    rows = _admin(pg_url, "select 1 from pg_file_settings where setting = %s", (value,))
    assert rows == []


def test_create_role_superuser(run_cli, make_db, pg_url, tmp_path, role) -> None:
    live = make_db()
    root, line = _schema(tmp_path, f"create role {role} superuser login")
    _refused(_check(run_cli, live, root), root, line, "CREATE ROLE")
    assert not _role_exists(pg_url, role)


def test_alter_role_createdb(run_cli, make_db, pg_url, tmp_path, role) -> None:
    _admin(pg_url, f'create role "{role}" nologin')
    live = make_db()
    root, line = _schema(tmp_path, f"alter role {role} createdb")
    _refused(_check(run_cli, live, root), root, line, "ALTER ROLE")
    assert _admin(pg_url, "select rolcreatedb from pg_roles where rolname = %s", (role,)) == [
        (False,)
    ]


def test_create_database(run_cli, make_db, pg_url, tmp_path) -> None:
    name = "dc_sbx_" + secrets.token_hex(4)
    live = make_db()
    root, line = _schema(tmp_path, f"create database {name}")
    _refused(_check(run_cli, live, root), root, line, "CREATE DATABASE")
    assert _admin(pg_url, "select 1 from pg_database where datname = %s", (name,)) == []


def test_dblink_exec(run_cli, make_db, pg_url, tmp_path) -> None:
    if not _admin(pg_url, "select 1 from pg_available_extensions where name = 'dblink'"):
        pytest.skip("dblink is not available on the test server")
    live, victim = make_db(), make_db("create table public.precious (id int);")
    conninfo = f"dbname={victim.name}"
    root = tmp_path / "schema"
    root.mkdir()
    (root / "020_more.sql").write_text(
        "create extension if not exists dblink;\n"
        f"select dblink_exec('{conninfo}', 'drop table public.precious');\n"
    )
    _refused(_check(run_cli, live, root), root, 2, "a call of dblink_exec")
    assert victim.query("select count(*) from public.precious") == [(0,)]


def test_do_block(run_cli, make_db, pg_url, tmp_path, role) -> None:
    live = make_db()
    root, line = _schema(tmp_path, f"do $$ begin create role {role}; end $$")
    _refused(_check(run_cli, live, root), root, line, "a DO block")
    assert not _role_exists(pg_url, role)


def test_terminate_backend(run_cli, make_db, tmp_path) -> None:
    live = make_db()
    with contextlib.closing(psycopg2.connect(live.url)) as other, other.cursor() as cur:
        cur.execute("select pg_backend_pid()")
        row = cur.fetchone()
        assert row is not None
        root, line = _schema(tmp_path, f"select pg_terminate_backend({row[0]})")
        _refused(_check(run_cli, live, root), root, line, "a call of pg_terminate_backend")
        cur.execute("select 1")  # still connected
        assert cur.fetchone() == (1,)


@pytest.mark.parametrize(
    ("statement", "kind"), [("set role postgres", "SET ROLE"), ("reset role", "RESET ROLE")]
)
def test_set_and_reset_role(run_cli, make_db, tmp_path, statement, kind) -> None:
    live = make_db()
    root, line = _schema(tmp_path, statement)
    _refused(_check(run_cli, live, root), root, line, kind)


def test_git_source_is_checked(run_cli, make_db, tmp_path, role, pg_url) -> None:
    repo = tmp_path / "repo"
    (repo / "schema").mkdir(parents=True)
    (repo / "schema" / "010.sql").write_text(f"create table t (id int);\ncreate role {role};\n")
    git = ["git", "-C", str(repo), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    live = make_db()
    run = run_cli("--project-dir", str(repo), "check", "--live", live.url, "--desired",
                  "git:HEAD:schema")  # fmt: skip
    assert run.code == 1, run.err
    assert run.err.splitlines() == [
        "error: git:HEAD:schema/010.sql:2: CREATE ROLE is not allowed in a schema file"
    ]
    assert not _role_exists(pg_url, role)


def test_models_ddl_hooks_are_checked(run_cli, make_db, tmp_path, pg_url) -> None:
    victim = make_db()
    module = "dc_hostile_" + secrets.token_hex(4)
    (tmp_path / f"{module}.py").write_text(
        "from sqlalchemy import DDL, Column, Integer, MetaData, Table, event\n"
        "metadata = MetaData()\n"
        "t = Table('t', metadata, Column('id', Integer, primary_key=True))\n"
        f"event.listen(t, 'after_create', DDL('DROP DATABASE {victim.name}'))\n"
    )
    live = make_db()
    run = run_cli("--project-dir", str(tmp_path), "check", "--live", live.url, "--desired",
                  f"models:{module}:metadata")  # fmt: skip
    sys.modules.pop(module, None)
    assert run.code == 1, run.err
    assert run.err.splitlines() == [
        f"error: models:{module}:metadata: DROP DATABASE is not allowed in a schema file"
    ]
    assert victim.query("select 1") == [(1,)]


def test_precommit_hook_is_checked(tmp_path, pg_url, role, capsys) -> None:
    root, line = _schema(tmp_path, f"create role {role}")
    code = precommit_mod.main(["--desired", str(root), "--scratch-url", pg_url])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines() == [
        f"{root}/020_more.sql:{line}: CREATE ROLE is not allowed in a schema file"
    ]
    assert not _role_exists(pg_url, role)


# --- no code runs while the schema builds ------------------------------------------------


def _matview_schema(role: str) -> str:
    return (
        "create function public.escape() returns int language plpgsql as $$\n"
        f"begin execute 'create role {role}'; return 1; end $$;\n"
        "create materialized view public.mv as select public.escape() as x;\n"
        "create table public.snapshot as select * from public.mv;\n"
    )


def test_matview_query_does_not_run(run_cli, make_db, pg_url, tmp_path, role) -> None:
    text = _matview_schema(role)
    # Live built the same way (definitions only), so that the comparison is of like with like.
    live = make_db(
        text.replace("as x;", "as x with no data;").replace(
            "from public.mv;", "from public.mv with no data;"
        )
    )
    assert not _role_exists(pg_url, role)
    root = tmp_path / "schema"
    root.mkdir()
    (root / "010.sql").write_text(text)
    run = _check(run_cli, live, root)
    assert run.code == 0, (run.out, run.err)
    assert run.out.startswith("in sync: ")
    assert not _role_exists(pg_url, role)
    # The matview is compared, not ignored: one without it differs.
    live.execute("drop table public.snapshot; drop materialized view public.mv")
    differs = _check(run_cli, live, root, "--no-cache")
    assert differs.code == 2, (differs.out, differs.err)
    assert 'create materialized view "public"."mv"' in differs.out
    assert not _role_exists(pg_url, role)


def test_data_statements_are_skipped(run_cli, make_db, tmp_path) -> None:
    schema = (
        "create table public.schema_migrations (version text primary key);\n"
        "create materialized view public.mv as select 1 as x with no data;\n"
    )
    live = make_db(schema)
    root = tmp_path / "schema"
    root.mkdir()
    (root / "010.sql").write_text(
        schema + "insert into public.schema_migrations values ('1'), ('1');\n"
        "refresh materialized view public.mv;\n"
    )
    # The duplicate key would fail if the INSERT ran; REFRESH would populate mv.
    run = _check(run_cli, live, root)
    assert run.code == 0, (run.out, run.err)


# --- the escape hatch --------------------------------------------------------------------


def test_trust_schema_sql_runs_refused_statements_and_says_so(run_cli, make_db, tmp_path) -> None:
    live = make_db("create table public.t (id int primary key); create table public.u (id int);")
    root, _ = _schema(tmp_path, "select pg_catalog.pg_sleep(0)")
    (root / "030_do.sql").write_text("do $$ begin perform 1; end $$;\n")
    live.execute("create table public.w (id int)")
    refused = _check(run_cli, live, root)
    assert refused.code == 1
    run = _check(run_cli, live, root, "--trust-schema-sql")
    assert run.code == 0, (run.out, run.err)
    assert run.err.splitlines() == ["warning: --trust-schema-sql: schema files run unchecked"]
    as_json = _check(run_cli, live, root, "--trust-schema-sql", "--format", "json")
    assert json.loads(as_json.out)["trust_schema_sql"] is True
    env = run_cli(
        "check", "--live", live.url, "--desired", str(root),
        env={"DIFFCHECK_TRUST_SCHEMA_SQL": "true"},
    )  # fmt: skip
    assert env.code == 0, env.err
    assert "schema files run unchecked" in env.err


def test_trusted_plan_says_so_in_its_header(run_cli, make_db, tmp_path) -> None:
    live = make_db("create table public.t (id int primary key);")
    root, _ = _schema(tmp_path, "select pg_catalog.pg_sleep(0)")
    out = tmp_path / "plans" / "p.sql"
    run = run_cli("plan", "--live", live.url, "--desired", str(root), "-o", str(out),
                  "--trust-schema-sql")  # fmt: skip
    assert run.code == 0, run.err
    assert "-- @trust-schema-sql: true" in out.read_text().splitlines()
    from diffcheck import plan as planlib

    p = planlib.load(out)
    digest = p.digest()
    p.header.pop("trust-schema-sql")
    assert p.digest() != digest  # the header is covered by the digest


# --- what must pass ----------------------------------------------------------------------

RICH = """
create schema app;
create type app.mood as enum ('sad', 'ok');
create domain app.pos as int check (value > 0);
create type app.pair as (a int, b text);
create type app.span as range (subtype = int4);
create sequence app.s;
create table app.t (id int primary key default nextval('app.s'), m app.mood, p app.pos,
                    body text collate "C", at timestamptz default now());
alter sequence app.s owned by app.t.id;
create table app.parts (id int, k int) partition by range (k);
create table app.parts_1 partition of app.parts for values from (1) to (10);
create index t_body on app.t (lower(body)) where id > 0;
create function app.f(x int) returns int language sql immutable as 'select x + 1';
create function app.g() returns trigger language plpgsql as $$ begin return new; end $$;
create function app.e() returns event_trigger language plpgsql as $$ begin end $$;
create procedure app.p() language sql as 'select 1';
create aggregate app.total(int) (sfunc = int4pl, stype = int, initcond = '0');
create operator app.=== (function = int4eq, leftarg = int, rightarg = int);
create view app.v as select id, app.f(id) from app.t;
create materialized view app.mv as select id from app.t;
create unique index on app.mv (id);
create trigger t_g before insert on app.t for each row execute function app.g();
create event trigger dc_sbx_evt on ddl_command_start execute function app.e();
alter event trigger dc_sbx_evt disable;
alter table app.t enable row level security;
create policy own on app.t using (id > 0);
create rule r as on update to app.v do instead nothing;
create collation app.c (locale = 'C');
create text search configuration app.ts (copy = simple);
create statistics app.st on id, m from app.t;
create publication dc_sbx_pub for table app.t;
create foreign data wrapper dc_sbx_w;
create server dc_sbx_s foreign data wrapper dc_sbx_w options (host 'nowhere');
create user mapping for public server dc_sbx_s;
create foreign table app.ft (a int) server dc_sbx_s;
create cast (app.pair as text) with inout;
comment on table app.t is 'comment';
comment on column app.t.id is 'column comment';
grant usage on schema app to public;
grant select on app.t to public;
revoke all on function app.f(int) from public;
alter default privileges in schema app grant select on tables to public;
"""


def test_pg_dump_schema_only_output_passes(make_db) -> None:
    db = make_db(RICH)
    with contextlib.closing(psycopg2.connect(db.url)) as conn:
        major = pg.server_major(conn)
    for privileges in (False, True):
        dump = pg.pg_dump_schema(db.url, major, privileges=privileges)
        prepared = loader.prepare(dump, "dump.sql")
        assert len(prepared.statements) > 40
        # The dump's matview is created WITH NO DATA and refreshed separately (skipped).
        skipped = [st.text for st in prepared.statements if st.skip]
        assert all(s.startswith("REFRESH MATERIALIZED VIEW") for s in skipped), skipped


def test_init_output_passes(run_cli, make_db, tmp_path) -> None:
    live = make_db(RICH)
    run = run_cli("init", "--live", live.url, cwd=tmp_path)
    assert run.code == 0, (run.out, run.err)
    files = sorted((tmp_path / "schema").rglob("*.sql"))
    assert files
    for path in files:
        loader.prepare(path.read_text(), str(path))


def test_error_positions_stay_exact_around_a_rewritten_statement(run_cli, make_db, tmp_path):
    live = make_db()
    root = tmp_path / "schema"
    root.mkdir()
    (root / "010.sql").write_text(
        "create materialized view public.mv as select 1 as x;\n"
        "create table public.t (y nosuchtype);\n"
    )
    run = _check(run_cli, live, root)
    assert run.err.splitlines() == [
        f'error: {root}/010.sql:2:26: type "nosuchtype" does not exist'
    ], run.err
    (root / "010.sql").write_text("create table public.t (y int);\n\n"
                                  "create materialized view public.mv as\n"
                                  "  select nosuchcol from public.t with data;\n")  # fmt: skip
    run = _check(run_cli, live, root)
    assert run.err.splitlines() == [
        f'error: {root}/010.sql:4:10: column "nosuchcol" does not exist'
    ], run.err


def test_each_file_starts_from_the_build_session(run_cli, make_db, tmp_path):
    """pg_dump's empty search_path in one file does not leak into the next."""
    live = make_db("create schema app; create table app.t (id int); create table u (id int);")
    root = tmp_path / "schema"
    root.mkdir()
    (root / "010.sql").write_text(
        "select pg_catalog.set_config('search_path', '', false);\n"
        "set client_min_messages = error;\n"
        "create schema app;\ncreate table app.t (id int);\n"
    )
    (root / "020.sql").write_text("create table u (id int);\n")  # fails on an empty path
    run = _check(run_cli, live, root)
    assert run.code == 0, (run.out, run.err)
