"""Inputs at the approval/apply boundary: undecodable plan files are "not a diffcheck plan"
for every command that reads a plan, and ``history`` answers clearly for a database without
history and for a role that may not read it."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("binary.sql", bytes(range(256)) * 8),
        ("random.sql", b"Lorem ipsum dolor sit amet; consectetur adipiscing elit.\n" * 3),
        ("nul.sql", b"-- @format: 1\n-- @name: x\n\0\0select 1;\n"),
        ("latin1.sql", "-- @format: 1\n-- caf\u00e9\n".encode("latin-1")),
        ("badjson.sql", b"-- @format: 1\n-- @name: x\n-- @approval: {oops\nselect 1;\n"),
    ],
)
@pytest.mark.parametrize("command", ["apply", "approve", "verify"])
def test_undecodable_plan_is_not_a_diffcheck_plan(
    run_cli, tmp_path: Path, name: str, raw: bytes, command: str
) -> None:
    path = tmp_path / name
    path.write_bytes(raw)
    args = {
        "apply": ["apply", str(path), "--live", UNREACHABLE],
        "approve": ["approve", str(path), "--by", "a", "--allow-hazard", "all"],
        "verify": ["verify", str(path), "--live", UNREACHABLE],
    }[command]
    r = run_cli(*args)
    assert r.code == 1, (r.out, r.err)
    errors = [ln for ln in r.err.splitlines() if ln.startswith("error:")]
    assert errors and errors[0].startswith(f"error: not a diffcheck plan: {path}"), r.err
    assert "internal error" not in r.err and "Traceback" not in r.err
    assert path.read_bytes() == raw  # never rewritten


@contextlib.contextmanager
def _role(admin_url: str, db_url: str) -> Iterator[str]:
    """A LOGIN role with no privileges, dropped afterwards (with its grants in ``db_url``)."""
    role = "dc_reader_" + secrets.token_hex(4)
    with contextlib.closing(psycopg2.connect(admin_url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
    try:
        yield role
    finally:
        for url in (db_url, admin_url):
            with contextlib.closing(psycopg2.connect(url)) as conn:
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
        with contextlib.closing(psycopg2.connect(admin_url)) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def _as(url: str, role: str) -> str:
    parts = psycopg2.extensions.parse_dsn(url)
    parts["user"] = role
    parts.pop("password", None)
    host = parts.get("host", "127.0.0.1")
    return f"postgresql://{role}@{host}:{parts.get('port', 5432)}/{parts['dbname']}"


def test_history_of_a_database_without_history_says_so(make_db, run_cli) -> None:
    live = make_db("create table public.t (id int);")
    r = run_cli("history", "--live", live.url)
    assert r.code == 0, (r.out, r.err)
    assert r.out.startswith("no history: nothing was ever applied here")
    r = run_cli("history", "--live", live.url, "--format", "json")
    assert r.code == 0 and json.loads(r.out) == []


def test_history_for_a_role_that_cannot_read_it(pg_url, make_db, run_cli, tmp_path) -> None:
    live = make_db("create table public.t (id int);")
    after = tmp_path / "after.sql"
    after.write_text("create table public.t (id int, b int);")
    args = ["--live", live.url, "--desired", str(after), "--allow-hazard", "all"]
    r = run_cli("apply", "--auto", *args)
    assert r.code == 0, (r.out, r.err)
    with _role(pg_url, live.url) as role:
        url = _as(live.url, role)
        r = run_cli("history", "--live", url)
        assert r.code == 1, (r.out, r.err)
        assert r.err.strip() == (
            "error: cannot read diffcheck.history: permission denied "
            "(grant USAGE on schema diffcheck)"
        )
        live.execute(f'grant usage on schema diffcheck to "{role}"')
        r = run_cli("history", "--live", url)
        assert r.code == 1, (r.out, r.err)
        assert "permission denied (grant SELECT on diffcheck.history)" in r.err
        live.execute(f'grant select on diffcheck.history to "{role}"')
        r = run_cli("history", "--live", url, "--format", "json")
        assert r.code == 0, (r.out, r.err)
        (row,) = json.loads(r.out)
        assert row["plan_kind"] == "auto" and row["approved_by"] == "apply --auto"

