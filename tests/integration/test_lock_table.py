"""A schema bigger than the server's lock table: loads, inspects and checks; where pg_dump
cannot follow (plan), one clear error and nothing left behind.

The server here is started with the smallest lock table PostgreSQL allows to be useful, so a
schema of a few hundred tables stands in for a 10,000-table schema on a default server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from conftest import private_cluster, scratch_dbs
from psycopg2 import sql

from diffcheck import dsn as dsnlib

N = 1000
# Each table holds several locks while its transaction lasts (the table, its primary key
# index, its TOAST table and index, the sequence of its identity, a second index).
SCHEMA = "".join(
    f"create table public.t{i:03d} (id bigint generated always as identity primary key,"
    f" label text not null default '', at timestamptz);\n"
    f"create index t{i:03d}_at on public.t{i:03d} (at);\n"
    for i in range(N)
)


@pytest.fixture(scope="module")
def small_lock_table() -> Iterator[str]:
    """Admin URL of a private cluster whose shared lock table holds a few hundred locks."""
    yield from private_cluster("-c max_connections=12 -c max_locks_per_transaction=10")


def _database(admin: str, name: str) -> str:
    with contextlib.closing(psycopg2.connect(admin)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(name)))
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return dsnlib.with_dbname(admin, name)


def _build(url: str) -> None:
    """Create the schema statement by statement, as a migration tool would."""
    with contextlib.closing(psycopg2.connect(url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            for statement in SCHEMA.splitlines():
                cur.execute(statement)


def _desired(tmp_path: Path) -> Path:
    d = tmp_path / "schema"
    d.mkdir()
    (d / "tables.sql").write_text(SCHEMA)
    return d


def test_one_transaction_exhausts_this_server(small_lock_table):
    """The control: loading the schema as one transaction fails here, so the tests below
    exercise a schema larger than the lock table."""
    url = _database(small_lock_table, "control")
    with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as info:
            cur.execute(SCHEMA)
    assert info.value.pgcode == "53200", info.value  # out_of_memory: the lock table is full
    assert "max_locks_per_transaction" in (info.value.diag.message_hint or "")


def test_check_loads_and_inspects_a_schema_bigger_than_the_lock_table(
    small_lock_table, run_cli, tmp_path
):
    desired = _desired(tmp_path)
    live = _database(small_lock_table, "live_check")
    r = run_cli("check", "--live", live, "--desired", str(desired), "--no-cache",
                "--format", "json", cwd=tmp_path)
    assert r.code == 2, (r.out, r.err)
    assert "out of shared memory" not in r.out + r.err
    assert r.out.count("create table") == N, r.out[:2000]
    assert scratch_dbs(small_lock_table) == []

    _build(live)  # now in sync, cold and warm
    for extra in (("--no-cache",), (), ()):
        r = run_cli("check", "--live", live, "--desired", str(desired), *extra, cwd=tmp_path)
        assert r.code == 0, (extra, r.out, r.err)
        assert "in sync" in r.out + r.err
    assert scratch_dbs(small_lock_table) == []


def test_plan_says_what_to_raise_when_pg_dump_cannot_lock_every_table(
    small_lock_table, run_cli, tmp_path
):
    desired = _desired(tmp_path)
    (desired / "more.sql").write_text("create table public.extra (id int);\n")
    live = _database(small_lock_table, "live_plan")
    _build(live)  # the change is one table; dumping live still locks all of them
    out = tmp_path / "plans" / "big.sql"
    r = run_cli("plan", "--live", live, "--desired", str(desired), "-o", str(out), cwd=tmp_path)
    assert r.code == 1, (r.out, r.err)
    lines = [line for line in r.err.splitlines() if line.strip()]
    assert len(lines) == 1, r.err
    assert "pg_dump" in lines[0] and "max_locks_per_transaction" in lines[0], lines[0]
    assert "Query was" not in lines[0]
    assert not out.exists()
    assert not (out.parent.exists() and list(out.parent.iterdir()))
    assert scratch_dbs(small_lock_table) == []
