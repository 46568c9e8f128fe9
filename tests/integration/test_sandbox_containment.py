"""Containment of the scratch build (builder.py): code in a schema file that runs at DDL time
(a DEFAULT evaluated by ADD COLUMN, an immutable call folded while an index is built) cannot
act outside the scratch database, whatever the parser's allow-list lets through.

Every statement here is one a parser allow-list accepts (CREATE FUNCTION, CREATE TABLE,
ALTER TABLE, CREATE INDEX); the hostile part is inside a function body."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest
from conftest import DB, Run, private_cluster, scratch_dbs
from psycopg2 import sql

from diffcheck import dsn as dsnlib
from diffcheck.scratch import BUILDER_SUFFIX, PREFIX


def _execute(url: str, statement: sql.Composable | str) -> None:
    """Run one statement with autocommit on the server at ``url``."""
    with contextlib.closing(psycopg2.connect(url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement)


def builder_roles(url: str) -> set[str]:
    """Builder roles on the server at ``url``."""
    with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
        cur.execute(
            "select rolname from pg_roles where starts_with(rolname, %s) and rolname like %s",
            (PREFIX, "%" + BUILDER_SUFFIX),
        )
        return {r[0] for r in cur.fetchall()}


def role_exists(url: str, name: str) -> bool:
    """Whether a role exists on the server at ``url``."""
    with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
        cur.execute("select 1 from pg_roles where rolname = %s", (name,))
        return cur.fetchone() is not None


@pytest.fixture
def tag() -> str:
    """A unique name for whatever a hostile file tries to create."""
    return "dc_hostile_" + secrets.token_hex(5)


@pytest.fixture
def no_builder_left(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No builder role this test created is left behind (on a shared server other processes
    create their own: only this test's count)."""
    from diffcheck import scratch

    made: list[tuple[str, str]] = []
    original = scratch.ScratchServer.add_builder

    def add_builder(self: scratch.ScratchServer, db: scratch.ScratchDB) -> object:
        got = original(self, db)
        if isinstance(got, scratch.Builder):
            made.append((self.admin_url, got.role))
        return got

    monkeypatch.setattr(scratch.ScratchServer, "add_builder", add_builder)
    yield
    assert [role for url, role in made if role_exists(url, role)] == []


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schema"
    path.mkdir(exist_ok=True)
    (path / "hostile.sql").write_text(text)
    return path


def _check(
    run_cli: Callable[..., Run],
    live: str,
    desired: Path,
    *extra: str,
    env: dict[str, str] | None = None,
) -> Run:
    """``diffcheck check`` of ``live`` against the schema folder ``desired``, uncached."""
    return run_cli(
        "check", "--live", live, "--desired", str(desired), "--no-cache", *extra, env=env
    )


def _hostile(body: str, how: str = "default") -> str:
    """Six lines: a volatile function running ``body`` (a non-volatile one may not run DDL),
    an immutable one calling it, and a statement on line 6 that calls that at DDL time: an
    ADD COLUMN evaluating its non-volatile DEFAULT, or an index build or a CHECK's
    validation folding a constant immutable call."""
    call = {
        "default": "alter table public.t add column c int default public.f();",
        "index": "create index t_f on public.t ((id + public.f()));",
        "check": "alter table public.t add constraint c check (id + public.f() > 0);",
    }[how]
    return (
        "create function public.g() returns int volatile language plpgsql as $$\n"
        f"begin {body} return 1; end $$;\n"
        "create function public.f() returns int immutable language plpgsql as $$\n"
        "begin return public.g(); end $$;\n"
        "create table public.t (id int);\n" + call + "\n"
    )


def _create_role_at_ddl_time(tag: str, how: str) -> str:
    # Idempotent: an index build may call it more than once.
    body = f"begin execute 'create role {tag}'; exception when duplicate_object then null; end;"
    return _hostile(body, how)


@pytest.mark.parametrize("how", ["default", "index", "check"])
def test_ddl_time_code_cannot_create_a_role(
    how: str,
    tag: str,
    tmp_path: Path,
    make_db: Callable[..., DB],
    run_cli: Callable[..., Run],
    pg_url: str,
    no_builder_left: None,
) -> None:
    live = make_db()
    desired = _write(tmp_path, _create_role_at_ddl_time(tag, how))
    run = _check(run_cli, live.url, desired)
    assert not role_exists(pg_url, tag), "a schema file created a role on the server"
    # The build fails at the statement that ran the code, one line naming file and line.
    assert run.code == 1, run.out + run.err
    assert "hostile.sql:6" in run.err, run.err
    assert "permission denied to create role" in run.err, run.err
    assert "internal error" not in run.err
    assert len(run.err.strip().splitlines()) == 1, run.err
    # The same file built unconfined does create the role: the code really runs at DDL time.
    try:
        trusted = _check(run_cli, live.url, desired, env={"DIFFCHECK_TRUST_SCHEMA_SQL": "1"})
        assert role_exists(pg_url, tag), trusted.out + trusted.err
    finally:
        _execute(pg_url, sql.SQL("drop role if exists {}").format(sql.Identifier(tag)))


def test_reset_role_does_not_escape_a_login_builder(
    tag: str,
    tmp_path: Path,
    make_db: Callable[..., DB],
    run_cli: Callable[..., Run],
    pg_url: str,
    no_builder_left: None,
) -> None:
    """RESET ROLE / set_config('role') inside a body cannot regain the admin: the session
    itself is the builder's, so COPY TO PROGRAM stays refused."""
    marker = Path("/tmp") / tag
    text = _hostile(
        "perform set_config('role', 'postgres', false); execute 'reset role';"
        f" execute 'copy (select 1) to program ''touch {marker}'' ';"
        f" execute 'create role {tag} superuser';"
    )
    live = make_db()
    desired = _write(tmp_path, text)
    run = _check(run_cli, live.url, desired)
    assert not marker.exists(), "a schema file ran a program on the server"
    assert not role_exists(pg_url, tag)
    assert run.code == 1, run.out + run.err
    assert "hostile.sql:6" in run.err, run.err
    assert "internal error" not in run.err


def test_build_runs_as_the_builder_session(
    tmp_path: Path,
    make_db: Callable[..., DB],
    run_cli: Callable[..., Run],
    no_builder_left: None,
) -> None:
    """DDL-time code sees the builder as both current and session user, and the build
    succeeds harmlessly."""
    text = _hostile(
        "execute format('create table public.%I ()', session_user);"
        " execute format('create table public.%I ()', 'cur_' || current_user);"
    )
    live = make_db()
    desired = _write(tmp_path, text)
    run = _check(run_cli, live.url, desired)
    assert run.code == 2, run.out + run.err
    words = set(run.out.replace('"', " ").split())
    session = [w for w in words if w.startswith(PREFIX)]
    assert len(session) == 1 and session[0].endswith(BUILDER_SUFFIX), run.out
    assert "cur_" + session[0] in words, run.out
    assert "note:" not in run.err and "warning:" not in run.err, run.err


def test_ownership_and_extensions_keep_loading(
    tmp_path: Path,
    make_db: Callable[..., DB],
    run_cli: Callable[..., Run],
    no_builder_left: None,
) -> None:
    """pg_dump's OWNER TO / AUTHORIZATION lines, an untrusted extension and its comment, a
    LEAKPROOF function and default privileges load as before: a live built from the same
    file (as the admin) is in sync, with and without --with-privileges."""
    text = (
        "create schema app authorization postgres;\n"
        "create schema authorization dc_contain_owner;\n"
        "create table app.t (id int primary key, v text);\n"
        "alter table app.t owner to postgres;\n"
        "create function app.f() returns int language sql immutable as 'select 1';\n"
        "alter function app.f() owner to postgres;\n"
        "create function app.lp(x int) returns bool language sql immutable leakproof"
        " as 'select x > 0';\n"
        "create extension if not exists pg_trgm with schema public;\n"
        "create extension if not exists pgstattuple with schema public;\n"
        "comment on extension pgstattuple is 'tuple statistics';\n"
        "alter default privileges in schema app grant select on tables to public;\n"
        "grant select on app.t to public;\n"
    )
    live = make_db(
        "do $$ begin create role dc_contain_owner; exception when duplicate_object then null;"
        " end $$;\n" + text
    )
    desired = _write(tmp_path, text)
    for extra in ((), ("--with-privileges",)):
        run = _check(run_cli, live.url, desired, *extra)
        assert run.code == 0, run.out + run.err


def test_network_extensions_are_refused(
    tmp_path: Path,
    make_db: Callable[..., DB],
    run_cli: Callable[..., Run],
    no_builder_left: None,
) -> None:
    live = make_db()
    desired = _write(tmp_path, "create table public.t (id int);\ncreate extension dblink;\n")
    run = _check(run_cli, live.url, desired)
    assert run.code == 1, run.out + run.err
    assert 'hostile.sql:2:1: extension "dblink"' in run.err, run.err
    assert len(run.err.strip().splitlines()) <= 2, run.err  # the error and its hint
    # The escape hatch builds as the connecting role, which may create it.
    trusted = _check(run_cli, live.url, desired, env={"DIFFCHECK_TRUST_SCHEMA_SQL": "1"})
    assert trusted.code == 2, trusted.out + trusted.err
    assert "dblink" in trusted.out


@pytest.fixture
def createdb_role(pg_url: str) -> Iterator[str]:
    """A URL of a role with LOGIN and CREATEDB but neither CREATEROLE nor SUPERUSER."""
    name = "dc_contain_" + secrets.token_hex(4)
    _execute(pg_url, sql.SQL("create role {} login createdb").format(sql.Identifier(name)))
    kw = dict(psycopg2.extensions.parse_dsn(pg_url))
    kw["user"] = name
    try:
        yield str(psycopg2.extensions.make_dsn(**kw))
    finally:
        _execute(pg_url, sql.SQL("drop role {}").format(sql.Identifier(name)))


def test_without_createrole_the_build_runs_as_itself(
    tag: str,
    createdb_role: str,
    tmp_path: Path,
    run_cli: Callable[..., Run],
    pg_url: str,
    no_builder_left: None,
) -> None:
    """A CREATEDB role without CREATEROLE checks as before and says, once, that the build is
    not contained by a separate role; --quiet leaves the note out."""
    name = "dctest_" + secrets.token_hex(5)
    _execute(createdb_role, sql.SQL("create database {}").format(sql.Identifier(name)))
    live = dsnlib.with_dbname(createdb_role, name)
    try:
        desired = _write(tmp_path, _create_role_at_ddl_time(tag, "default"))
        run = _check(run_cli, live, desired)
        assert run.code == 1, run.out + run.err  # no CREATEROLE: the role itself is refused
        assert not role_exists(pg_url, tag)
        (desired / "hostile.sql").write_text("create table public.t (id int);\n")
        run = _check(run_cli, live, desired)
        assert run.code == 2, run.out + run.err
        notes = [line for line in run.err.splitlines() if "not contained" in line]
        assert len(notes) == 1 and "no CREATEROLE" in notes[0], run.err
        quiet = _check(run_cli, live, desired, "-q")
        assert quiet.code == 2 and "not contained" not in quiet.err, quiet.err
    finally:
        _execute(
            pg_url, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


def test_clean_drops_leftover_builder_roles(
    pg_url: str, run_cli: Callable[..., Run], make_db: Callable[..., DB]
) -> None:
    """A builder role a killed process left behind is dropped by `clean` once old enough; a
    young one is kept."""
    old = f"{PREFIX}20000101000000_{secrets.token_hex(4)}{BUILDER_SUFFIX}"
    young = f"{PREFIX}29990101000000_{secrets.token_hex(4)}{BUILDER_SUFFIX}"
    for name in (old, young):
        _execute(pg_url, sql.SQL("create role {}").format(sql.Identifier(name)))
    try:
        live = make_db()
        run = run_cli("clean", "--live", live.url, "--older-than", "60")
        assert run.code == 0, run.out + run.err
        assert f"dropped {old}" in run.out
        assert not role_exists(pg_url, old)
        assert role_exists(pg_url, young)
    finally:
        for name in (old, young):
            _execute(pg_url, sql.SQL("drop role if exists {}").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def refusing_cluster() -> Iterator[str]:
    """A private cluster whose pg_hba.conf lets only postgres log in over TCP."""
    hba = "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n"
    yield from private_cluster(hba=hba)


def test_refused_login_falls_back_to_set_role(
    refusing_cluster: str, tag: str, tmp_path: Path, run_cli: Callable[..., Run]
) -> None:
    """Where pg_hba.conf refuses the builder, the build runs under SET ROLE (top-level
    statements and plain code still cannot create roles) and says once that containment is
    partial; no builder role or scratch database is left."""
    url = refusing_cluster
    _execute(url, "create database live")
    live = dsnlib.with_dbname(url, "live")
    desired = _write(tmp_path, _create_role_at_ddl_time(tag, "default"))
    run = _check(run_cli, live, desired)
    assert run.code == 1 and "permission denied to create role" in run.err, run.err
    assert not role_exists(url, tag)
    warnings = [line for line in run.err.splitlines() if "containment is partial" in line]
    assert len(warnings) == 1, run.err
    assert "pg_hba.conf" in warnings[0] and "password" not in warnings[0].lower(), warnings
    # Ownership is skipped; an untrusted extension is created in the build's own session,
    # as the connecting role, even inside the file's transaction.
    (desired / "hostile.sql").write_text(
        "create table public.t (id int);\nalter table public.t owner to postgres;\n"
        "begin;\ncreate extension pgstattuple;\ncreate table public.u (id int);\ncommit;\n"
    )
    run = _check(run_cli, live, desired, "-q")
    assert run.code == 2, run.out + run.err
    assert "pgstattuple" in run.out and '"public"."u"' in run.out, run.out
    assert "containment is partial" in run.err  # said even with --quiet
    assert builder_roles(url) == set()
    assert scratch_dbs(url) == []


@pytest.fixture(scope="module")
def password_cluster() -> Iterator[str]:
    """A private cluster where every role but postgres logs in with a SCRAM password."""
    hba = "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
    yield from private_cluster(hba=hba)


def test_password_login_contains_the_build(
    password_cluster: str, tmp_path: Path, run_cli: Callable[..., Run]
) -> None:
    """With password authentication the builder logs in with its one-time password."""
    url = password_cluster
    _execute(url, "create database live")
    live = dsnlib.with_dbname(url, "live")
    desired = _write(tmp_path, "create table public.t (id int);\n")
    run = _check(run_cli, live, desired)
    assert run.code == 2, run.out + run.err
    assert "containment" not in run.err and "note:" not in run.err, run.err
    assert builder_roles(url) == set()
    assert os.environ.get("PGPASSWORD") is None  # nothing leaked into the environment


def test_expression_round_trips_run_as_the_builder(
    tag: str,
    tmp_path: Path,
    make_db: Callable[..., DB],
    run_cli: Callable[..., Run],
    no_builder_left: None,
) -> None:
    """Code that stays harmless while the builder builds, and strikes when run by anyone
    else, does not strike when a CHECK is round-tripped for comparison: validating it folds
    the immutable call as whoever runs the round trip (index expressions PostgreSQL runs as
    the table's owner anyway). A round trip is rolled back, so the strike is one a rollback
    cannot undo: a program."""
    marker = Path("/tmp") / tag
    body = (
        "if current_user not like 'diffcheck\\_scratch\\_%' then "
        f"execute 'copy (select 1) to program ' || quote_literal('touch {marker}'); end if;"
    )
    live = make_db("create table public.t (id int, constraint c check (id + 1 > 0));")
    desired = _write(tmp_path, _hostile(body, "check"))
    run = _check(run_cli, live.url, desired)
    assert not marker.exists(), "a round trip ran schema code as the admin"
    assert run.code == 2, run.out + run.err
    assert "f()" in run.out, run.out


def test_superuser_extension_inside_a_transaction_is_refused_clearly(
    tmp_path: Path,
    make_db: Callable[..., DB],
    run_cli: Callable[..., Run],
    no_builder_left: None,
) -> None:
    """An untrusted extension is created by the connecting role, in its own session, which
    cannot see the file's open transaction: refused at its line, with what to do; a trusted
    one inside the transaction is the builder's own and loads."""
    live = make_db()
    desired = _write(
        tmp_path,
        "begin;\ncreate extension pg_trgm;\ncreate extension pgstattuple;\ncommit;\n",
    )
    run = _check(run_cli, live.url, desired)
    assert run.code == 1, run.out + run.err
    assert "hostile.sql:3:1: this statement needs the connecting role" in run.err, run.err
    assert "move it before BEGIN" in run.err
    (desired / "hostile.sql").write_text(
        "create extension pgstattuple;\nbegin;\ncreate extension pg_trgm;\ncommit;\n"
    )
    run = _check(run_cli, live.url, desired)
    assert run.code == 2, run.out + run.err
    assert "pgstattuple" in run.out and "pg_trgm" in run.out


def test_event_triggers_do_not_fire_during_the_load(
    tag: str,
    tmp_path: Path,
    make_db: Callable[..., DB],
    run_cli: Callable[..., Run],
    pg_url: str,
    no_builder_left: None,
) -> None:
    """The builder may not create an event trigger (one line, at its line); a trusted build
    by a superuser creates it but it does not fire (session_replication_role = replica)."""
    live = make_db()
    desired = _write(
        tmp_path,
        "create function public.et() returns event_trigger language plpgsql as $$\n"
        f"begin begin execute 'create role {tag}'; exception when duplicate_object then null;"
        " end; end $$;\n"
        "create event trigger et on ddl_command_end execute function public.et();\n"
        "create table public.t (id int);\n",
    )
    run = _check(run_cli, live.url, desired)
    assert run.code == 1, run.out + run.err
    assert "hostile.sql:3" in run.err and "event trigger" in run.err, run.err
    try:
        trusted = _check(run_cli, live.url, desired, env={"DIFFCHECK_TRUST_SCHEMA_SQL": "1"})
        assert trusted.code == 2, trusted.out + trusted.err
        assert not role_exists(pg_url, tag), "an event trigger fired during the load"
    finally:
        _execute(pg_url, sql.SQL("drop role if exists {}").format(sql.Identifier(tag)))
