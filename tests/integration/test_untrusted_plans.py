"""Untrusted plan files against a real PostgreSQL. A plan from a pull request comes with
sidecars its author wrote too (and their hashes in its header), so ``verify`` checks all of
it before anything runs: psql meta-commands in a sidecar, statements of a sidecar or of the
plan that act outside the scratch clone, and transaction control in any plan."""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from conftest import DB, TEST_DB_PREFIX, no_scratch_created
from psycopg2 import sql

from diffcheck import dsn as dsnlib
from diffcheck import pg, scratch
from diffcheck import plan as planlib
from diffcheck.cli import main

BEFORE = "create table public.t (id int primary key, a text);"
AFTER = """
create table public.t (id int primary key, a text, b integer not null default 0);
create index t_a on public.t (a);
"""
ALLOW = "BLOCKS_READS,BLOCKS_WRITES,BUILDS_INDEX"


scratch_created = pytest.fixture(autouse=True, name="scratch_created")(no_scratch_created)


def _admin(pg_url: str, query: sql.Composable | str) -> list[tuple[object, ...]]:
    with contextlib.closing(psycopg2.connect(pg_url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(query)
            return list(cur.fetchall()) if cur.description else []


class Setup:
    """A live database at BEFORE (kept for the module: verify never writes to it) and one
    unapproved plan BEFORE -> AFTER."""

    def __init__(self, root: Path, live: DB) -> None:
        self.root = root
        self.live = live
        self.plans = root / "plans"

    def copy(self, dest: Path) -> Path:
        """A fresh copy of the plan (and its sidecars)."""
        shutil.copytree(self.plans, dest / "plans")
        return dest / "plans" / "p.sql"


@pytest.fixture(scope="module")
def setup(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("untrusted")
    name = TEST_DB_PREFIX + secrets.token_hex(5)
    _admin(pg_url, sql.SQL("create database {}").format(sql.Identifier(name)))
    live = DB(name, dsnlib.with_dbname(pg_url, name))
    try:
        live.execute(BEFORE)
        (root / "after").mkdir()
        (root / "after" / "schema.sql").write_text(AFTER)
        s = Setup(root, live)
        out = str(s.plans / "p.sql")
        assert main(["plan", "--live", live.url, "--desired", str(root / "after"), "-o", out]) == 0
        yield s
    finally:
        _admin(pg_url, sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


def _append_to_sidecar(path: Path, which: str, text: str) -> int:
    """Append to a sidecar and fix its hash in the plan header, as an attacker who writes
    both files would; returns the line the appended text starts on."""
    side = path.with_name(f"p.{which}.sql")
    old = side.read_text()
    line = old.count("\n") + 1
    side.write_text(old + text)
    digest = hashlib.sha256(side.read_text().encode()).hexdigest()
    plan_text = re.sub(
        rf"(?m)^-- @{which}-sha256: .*$", f"-- @{which}-sha256: {digest}", path.read_text()
    )
    path.write_text(plan_text)
    return line


def _append_statement(path: Path, statement: str) -> int:
    """Append a statement to the plan's body; returns its line."""
    text = path.read_text()
    if not text.endswith("\n"):
        text += "\n"
    line = text.count("\n") + 2
    path.write_text(text + "\n" + statement + "\n")
    return line


def _verify(run_cli, setup: Setup, path: Path, *extra: str):
    return run_cli("verify", str(path), "--live", setup.live.url, *extra)


def test_meta_command_in_the_to_sidecar_is_refused_before_anything_runs(
    setup, run_cli, tmp_path, scratch_created
):
    pwned = tmp_path / "pwned"
    path = setup.copy(tmp_path)
    line = _append_to_sidecar(path, "to", f"\\! touch {pwned}\n")
    for extra in ((), ("--trust-schema-sql",)):  # the flag never lets a meta-command through
        r = _verify(run_cli, setup, path, *extra)
        assert r.code == 1, (r.out, r.err)
        assert f"p.to.sql:{line}: psql meta-command \\! is not allowed" in r.err, r.err
        assert "internal error" not in r.err
    assert not pwned.exists()
    assert scratch_created == []  # refused before a scratch database existed


def test_meta_command_in_the_from_sidecar_and_output_pipe_are_refused(
    setup, run_cli, tmp_path, scratch_created
):
    pwned = tmp_path / "pwned"
    path = setup.copy(tmp_path)
    line = _append_to_sidecar(path, "from", f"\\o |touch {pwned}\nselect 1;\n")
    r = _verify(run_cli, setup, path)
    assert r.code == 1 and f"p.from.sql:{line}: psql meta-command \\o is not allowed" in r.err
    assert not pwned.exists() and scratch_created == []


def test_refused_sql_in_a_sidecar_is_named_and_never_runs(setup, pg_url, run_cli, tmp_path):
    role = "dc_untrusted_" + secrets.token_hex(4)
    path = setup.copy(tmp_path)
    line = _append_to_sidecar(path, "to", f"CREATE ROLE {role} SUPERUSER;\n")
    r = _verify(run_cli, setup, path)
    assert r.code == 1, (r.out, r.err)
    assert f"p.to.sql:{line}: CREATE ROLE is not allowed in a plan sidecar" in r.err
    assert not _admin(pg_url, f"select 1 from pg_roles where rolname = '{role}'")


def test_psql_itself_refuses_meta_commands_in_a_restricted_restore(pg_url, tmp_path):
    """Defence in depth: even a meta-command the check missed is refused by psql."""
    pwned = tmp_path / "pwned"
    server = scratch.server_for(None, pg_url)
    db = server.create()
    try:
        psql = pg.find_tool("psql", server.major)
        assert pg.psql_restricts(psql)  # psql 15.14+ (15.18 here)
        script = f"create table x (id int);\n\\! touch {pwned}\ncreate table y (id int);\n"
        with pytest.raises(Exception, match="restoring a schema dump failed"):
            pg.psql_restore(db.url, server.major, script, restricted=True)
        assert not pwned.exists()
        # ... while a clean script restores, with its lines unchanged
        pg.psql_restore(db.url, server.major, "create table z (id int);\n", restricted=True)
        with pg.connection(db.url) as conn, conn.cursor() as cur:
            cur.execute("select count(*) from pg_class where relname in ('x', 'y', 'z')")
            assert cur.fetchone() == (2,)  # x ran, the meta-command stopped the script; z ran
    finally:
        server.drop(db.name)


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("COPY (select 1) TO PROGRAM 'touch {tmp}/pwned2';", "COPY TO PROGRAM"),
        ("ALTER SYSTEM SET work_mem = '7MB';", "ALTER SYSTEM"),
        ("CREATE ROLE {role} SUPERUSER;", "CREATE ROLE"),
        (
            "DELETE FROM public.t WHERE id IN "
            "(SELECT pg_terminate_backend(pid) FROM pg_stat_activity);",
            "a call of pg_terminate_backend",
        ),
        ("DO $$ BEGIN EXECUTE 'CREATE ROLE {role}'; END $$;", "a DO block"),
    ],
)
def test_plan_statements_acting_outside_the_clone_are_refused(
    setup, pg_url, run_cli, tmp_path, scratch_created, statement, kind
):
    role = "dc_untrusted_" + secrets.token_hex(4)
    path = setup.copy(tmp_path)
    line = _append_statement(path, statement.format(tmp=tmp_path, role=role))
    r = _verify(run_cli, setup, path)
    assert r.code == 1, (r.out, r.err)
    assert f"p.sql:{line}: {kind} is not allowed in a plan" in r.err, r.err
    assert not (tmp_path / "pwned2").exists()
    assert not _admin(pg_url, f"select 1 from pg_roles where rolname = '{role}'")
    assert _admin(pg_url, "show work_mem") != [("7MB",)]
    assert scratch_created == []


def test_drop_database_in_a_plan_is_refused_and_the_victim_stays(
    setup, make_db, pg_url, run_cli, tmp_path
):
    victim = make_db("create table v (id int);")
    path = setup.copy(tmp_path)
    line = _append_statement(path, f"DROP DATABASE {victim.name};")
    r = _verify(run_cli, setup, path)
    assert r.code == 1 and f"p.sql:{line}: DROP DATABASE is not allowed in a plan" in r.err
    assert _admin(pg_url, f"select 1 from pg_database where datname = '{victim.name}'")


def test_hand_added_update_still_verifies_and_carries_deletes_data(setup, run_cli, tmp_path):
    path = setup.copy(tmp_path)
    _append_statement(path, "UPDATE public.t SET a = 'y' WHERE id < 10;")
    r = _verify(run_cli, setup, path)
    assert r.code == 0, (r.out, r.err)
    assert "VERIFIED" in r.out
    the_plan = planlib.load(path)
    assert the_plan.verified and "DELETES_DATA" in the_plan.hazard_codes()


def test_commit_in_a_plan_is_refused_by_verify_approve_and_apply(setup, run_cli, tmp_path):
    path = setup.copy(tmp_path)
    text = path.read_text()
    marker = "\nCREATE INDEX" if "\nCREATE INDEX" in text else "\ncreate index"
    head, tail = text.split(marker, 1)
    line = head.count("\n") + 2
    path.write_text(head + "\nCOMMIT;" + marker + tail)
    expected = (
        f"p.sql:{line}: COMMIT is not allowed in a plan (diffcheck runs the plan in one "
        "transaction)"
    )
    for args in (
        ("verify", str(path), "--live", setup.live.url),
        ("approve", str(path), "--by", "alice", "--allow-hazard", ALLOW),
        ("apply", str(path), "--live", setup.live.url),
    ):
        r = run_cli(*args)
        assert r.code == 1 and expected in r.err, (args, r.err)
    assert setup.live.query("select count(*) from pg_indexes where indexname = 't_a'") == [(0,)]


def test_apply_refuses_a_sidecar_meta_command_even_in_an_approved_plan(
    setup, run_cli, tmp_path, scratch_created
):
    """Without an allowed-signers file anyone can approve: apply still checks the sidecar."""
    pwned = tmp_path / "pwned"
    path = setup.copy(tmp_path)
    line = _append_to_sidecar(path, "to", f"\\! touch {pwned}\n")
    forged = planlib.load(path)  # a VERIFIED stamp forged for the new digest
    forged.header["rehearsal"] = f"VERIFIED {forged.digest()} rounds=1"
    planlib.save(forged, path)
    r = run_cli("approve", str(path), "--by", "mallory", "--allow-hazard", ALLOW)
    assert r.code == 0, r.err
    r = run_cli("apply", str(path), "--live", setup.live.url)
    assert r.code == 1 and f"p.to.sql:{line}: psql meta-command \\! is not allowed" in r.err
    assert not pwned.exists() and scratch_created == []
    assert setup.live.query("select count(*) from pg_indexes where indexname = 't_a'") == [(0,)]


def test_standard_conforming_strings_off_cannot_smuggle_a_statement(
    pg_url, make_db, run_cli, tmp_path
):
    """Found with this work: with standard_conforming_strings off, the server ends the string
    ``'a\\', '`` where PostgreSQL's scanner (which split the file for the sandbox) does not,
    and the CREATE ROLE hidden in the second string ran in a later batch."""
    role = "dc_untrusted_" + secrets.token_hex(4)
    live = make_db()
    schema = tmp_path / "schema"
    schema.mkdir()
    filler = [f"create table t{i} (id int);" for i in range(70)]  # past the first batch
    smuggled = f"select 'a\\', ' ; create role {role}; -- ';"
    text = "\n".join(["set standard_conforming_strings = off;", *filler, smuggled]) + "\n"
    (schema / "a.sql").write_text(text)
    r = run_cli("check", "--live", live.url, "--desired", str(schema))
    assert r.code == 1, (r.out, r.err)
    assert "a.sql:1: SET standard_conforming_strings = off is not allowed" in r.err, r.err
    assert not _admin(pg_url, f"select 1 from pg_roles where rolname = '{role}'")
