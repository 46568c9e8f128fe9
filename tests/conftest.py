"""Shared fixtures: one real PostgreSQL per session, throwaway databases, CLI invocation,
and an assertion after every test that no scratch database was left behind."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

sys.path.insert(0, str(Path(__file__).parent))

import pgserver

from diffcheck import dsn as dsnlib
from diffcheck.cli import main
from diffcheck.scratch import PREFIX

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
TEST_DB_PREFIX = "dctest_"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """Admin URL of the test server (DIFFCHECK_TEST_DSN, else a throwaway cluster)."""
    try:
        url, stop = pgserver.start()
    except RuntimeError as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))  # CI must not go green by skipping every database test
        pytest.skip(str(exc))
    pgserver.wait_ready(url)
    try:
        yield url
    finally:
        stop()


def private_cluster(extra: str = "", hba: str = "") -> Iterator[str]:
    """Admin URL of a throwaway cluster of the system's binaries, for a test that needs its
    own server (``extra``: server options such as a tiny lock table; ``hba``: pg_hba.conf
    lines placed first); stopped afterwards."""
    try:
        got = pgserver._system_cluster(extra, hba)
        why = "no initdb/pg_ctl for a private cluster"
    except (subprocess.CalledProcessError, OSError) as exc:
        got, why = None, f"cannot start a private cluster: {exc}"
    if got is None:
        if os.environ.get("CI"):
            pytest.fail(why)  # CI must not go green by skipping these
        pytest.skip(why)
    url, stop = got
    try:
        pgserver.wait_ready(url)
        yield url
    finally:
        stop()


def scratch_dbs(url: str) -> list[str]:
    """Scratch databases (by their prefix) on the server at ``url``, sorted."""
    with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
        cur.execute("select datname from pg_database where starts_with(datname, %s)", (PREFIX,))
        return sorted(r[0] for r in cur.fetchall())


@pytest.fixture(autouse=True)
def _no_scratch_left(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every database test must leave no diffcheck scratch database behind.

    On the suite's own cluster, any new scratch database on the server counts (that covers
    diffcheck subprocesses too). On a shared server (DIFFCHECK_TEST_DSN) other sessions may
    be creating scratch databases concurrently, so only this process's registry counts."""
    from diffcheck.scratch import alive

    if "pg_url" not in request.fixturenames:
        yield
        return
    url = request.getfixturevalue("pg_url")
    shared = bool(os.environ.get("DIFFCHECK_TEST_DSN"))
    before = set() if shared else set(scratch_dbs(url))
    yield
    assert not alive(), f"scratch databases still held by this process: {alive()}"
    if not shared:
        left = set(scratch_dbs(url)) - before
        assert not left, f"scratch databases left behind: {sorted(left)}"


class ScratchWatch:
    """Records each scratch database created while it is installed (``ScratchServer.create``
    patched): ``names`` in creation order, ``where`` as (admin URL, name) pairs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from diffcheck import scratch

        self.names: list[str] = []
        self.where: list[tuple[str, str]] = []
        original = scratch.ScratchServer.create

        def create(server: scratch.ScratchServer) -> scratch.ScratchDB:
            db = original(server)
            self.names.append(db.name)
            self.where.append((server.admin_url, db.name))
            return db

        monkeypatch.setattr(scratch.ScratchServer, "create", create)

    def left_behind(self) -> list[str]:
        """The recorded scratch databases that still exist."""
        from diffcheck import pg

        left = []
        for admin_url, name in self.where:
            with pg.connection(admin_url, autocommit=True) as conn, conn.cursor() as cur:
                cur.execute("select 1 from pg_database where datname = %s", (name,))
                if cur.fetchone():
                    left.append(name)
        return left


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Scratch databases created during the test (a desired build creates one)."""
    return ScratchWatch(monkeypatch).names


def no_scratch_created(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A per-module replacement for ``_no_scratch_left`` (see test_models, test_sources,
    test_sandbox_hostile, test_untrusted_plans); yields the names of the scratch databases
    the test creates.

    conftest's check lists every scratch database on the test server, which fails whenever
    another process is mid-command on a shared DIFFCHECK_TEST_DSN and misses other servers.
    This one records the scratch databases the test creates, on any server (the embedded
    one included), and asserts that none of them exists afterwards."""
    watch = ScratchWatch(monkeypatch)
    yield watch.names
    left = watch.left_behind()
    assert not left, f"scratch databases left behind: {left}"


@dataclass
class DB:
    """A test database."""

    name: str
    url: str

    def execute(self, text: str) -> None:
        """Run SQL with autocommit."""
        with contextlib.closing(psycopg2.connect(self.url)) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(text)

    def query(self, text: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """Fetch all rows."""
        with contextlib.closing(psycopg2.connect(self.url)) as conn, conn.cursor() as cur:
            cur.execute(text, params)
            return list(cur.fetchall())


@contextlib.contextmanager
def throwaway_database(admin_url: str, text: str | None = None) -> Iterator[DB]:
    """A new test database on the server at ``admin_url`` (``text`` run in it first), dropped
    (with force) when the block ends; for module fixtures and other servers than make_db's."""
    name = TEST_DB_PREFIX + secrets.token_hex(5)
    with contextlib.closing(psycopg2.connect(admin_url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    db = DB(name, dsnlib.with_dbname(admin_url, name))
    try:
        if text:
            db.execute(text)
        yield db
    finally:
        with contextlib.closing(psycopg2.connect(admin_url)) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(
                    sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
                )


@pytest.fixture
def make_db(pg_url: str) -> Iterator[Callable[..., DB]]:
    """Factory for throwaway databases, dropped after the test."""
    made: list[str] = []

    def make(sql_text: str | None = None, *, path: Path | None = None) -> DB:
        name = TEST_DB_PREFIX + secrets.token_hex(5)
        with contextlib.closing(psycopg2.connect(pg_url)) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        made.append(name)
        db = DB(name, dsnlib.with_dbname(pg_url, name))
        if path is not None:
            sql_text = path.read_text()
        if sql_text:
            db.execute(sql_text)
        return db

    yield make
    with contextlib.closing(psycopg2.connect(pg_url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in made:
                cur.execute(
                    sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
                )


@dataclass
class Run:
    """The outcome of a CLI invocation."""

    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Run]:
    """Invoke ``diffcheck`` in-process with a clean environment; returns code, stdout, stderr."""
    for var in list(os.environ):
        if (var.startswith("DIFFCHECK_") and var != "DIFFCHECK_TEST_DSN") or var == "DATABASE_URL":
            monkeypatch.delenv(var, raising=False)

    # Each test gets its own desired-inspection cache, so tests never share (or pollute the
    # user's) cache entries.
    monkeypatch.setenv("DIFFCHECK_CACHE_DIR", str(tmp_path / ".diffcheck-cache"))

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        out, err = io.StringIO(), io.StringIO()
        old = os.getcwd()
        os.chdir(cwd or ROOT)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(list(args))
        finally:
            os.chdir(old)
            for k in env or {}:
                monkeypatch.delenv(k, raising=False)
        return Run(code, out.getvalue(), err.getvalue())

    return run


def schema_files(directory: Path) -> str:
    """All .sql files of a directory concatenated in load order."""
    return "\n".join(p.read_text() for p in sorted(directory.rglob("*.sql")))
