"""`diffcheck check` never changes live, whatever it finds; and its output formats are what
the README documents."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from conftest import ROOT, schema_files

SCHEMA = ROOT / "schema"

JSON_KEYS = {
    "format_version", "in_sync", "source", "target", "statement_count", "statements",
    "elapsed_seconds",
}


def _dump(url: str) -> str:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not on PATH")
    proc = subprocess.run([pg_dump, "-s", "-d", url], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    # pg_dump >= 15.14 writes a random \restrict key per run; it is not part of the schema.
    return "\n".join(
        line for line in proc.stdout.splitlines()
        if not line.startswith(("\\restrict", "\\unrestrict"))
    )


def _snapshot(db) -> tuple[str, object, object]:
    counts = db.query(
        "select count(*), coalesce(sum(relnatts), 0), count(*) filter (where relkind = 'i') "
        "from pg_class"
    )[0]
    objects = db.query(
        "select n.nspname, c.relname, c.relkind from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace order by 1, 2"
    )
    return _dump(db.url), counts, objects


def _drift(db) -> None:
    db.execute(
        "alter table prop_trading_model.positions drop column realized_pnl;\n"
        "drop index prop_trading_model.orders_instrument_created_idx;\n"
        "alter table prop_trading_model.accounts drop constraint accounts_base_currency_check;\n"
        "create table prop_trading_model.extra_table (id int primary key, note varchar(10) "
        "check (note in ('a','b')));\n"
        "drop view prop_trading_model.open_orders;\n"
        "create view prop_trading_model.open_orders as "
        "select o.order_id from prop_trading_model.orders o;\n"
    )


@pytest.mark.parametrize("drifted", [False, True], ids=["in-sync", "differs"])
@pytest.mark.parametrize("fmt", ["sql", "json", "markdown", "github"])
def test_check_does_not_modify_live(run_cli, make_db, drifted, fmt):
    live = make_db(schema_files(SCHEMA))
    if drifted:
        _drift(live)
    before = _snapshot(live)
    run = run_cli("check", "--live", live.url, "--desired", str(SCHEMA), "--format", fmt)
    assert run.code == (2 if drifted else 0), (run.out, run.err)
    after = _snapshot(live)
    assert after[1:] == before[1:]
    assert after[0] == before[0], "pg_dump -s of live changed during check"


def test_check_leaves_no_session_objects(run_cli, make_db):
    live = make_db(schema_files(SCHEMA))
    _drift(live)
    run = run_cli("check", "--live", live.url, "--desired", str(SCHEMA))
    assert run.code == 2
    # no prepared transactions, no connections left open to live by diffcheck
    prepared = live.query(
        "select count(*) from pg_prepared_xacts where database = %s", (live.name,)
    )
    assert prepared[0][0] == 0
    left = live.query(
        "select count(*) from pg_stat_activity "
        "where application_name = 'diffcheck' and datname = %s",
        (live.name,),
    )[0][0]
    assert left == 0


# --- formats --------------------------------------------------------------------------------


@pytest.fixture
def drifted_live(make_db):
    live = make_db(schema_files(SCHEMA))
    # updated_at is the last column of positions: re-adding it restores the column order
    live.execute("alter table prop_trading_model.positions drop column updated_at")
    return live


def test_json_format_differs(run_cli, drifted_live):
    run = run_cli("check", "--live", drifted_live.url, "--desired", str(SCHEMA),
                  "--format", "json")
    assert run.code == 2, run.err
    doc = json.loads(run.out)
    assert set(doc) >= JSON_KEYS
    assert doc["format_version"] == 1
    assert doc["in_sync"] is False
    assert doc["statement_count"] == len(doc["statements"]) == 1
    stmt = doc["statements"][0]
    assert set(stmt) >= {"index", "sql", "hazards"}
    assert stmt["index"] == 1
    assert "updated_at" in stmt["sql"]
    assert stmt["sql"].lower().startswith("alter table")
    assert isinstance(stmt["hazards"], list)
    for h in stmt["hazards"]:
        assert isinstance(h["code"], str) and h["code"]
    assert isinstance(doc["elapsed_seconds"], int | float) and doc["elapsed_seconds"] >= 0
    assert doc["target"]["label"] == str(SCHEMA)
    assert drifted_live.name in doc["source"]["label"]


def test_json_format_in_sync(run_cli, make_db):
    live = make_db(schema_files(SCHEMA))
    run = run_cli("check", "--live", live.url, "--desired", str(SCHEMA), "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert set(doc) >= JSON_KEYS
    assert doc["in_sync"] is True
    assert doc["statement_count"] == 0
    assert doc["statements"] == []


def test_json_labels_never_contain_passwords(run_cli, make_db, pg_url):
    live = make_db(schema_files(SCHEMA))
    # trust authentication ignores the password, so the URL still connects
    url = live.url.replace("postgres@", "postgres:Js0nSecretPW@", 1)
    if "Js0nSecretPW" not in url:
        pytest.skip("test server URL has no 'postgres@' user part")
    run = run_cli("check", "--live", url, "--desired", str(SCHEMA), "--format", "json")
    assert run.code == 0, run.err
    assert "Js0nSecretPW" not in run.out + run.err
    json.loads(run.out)


def test_markdown_format(run_cli, drifted_live):
    run = run_cli("check", "--live", drifted_live.url, "--desired", str(SCHEMA),
                  "--format", "markdown")
    assert run.code == 2, run.err
    assert "```sql" in run.out
    fence = run.out.split("```sql", 1)[1]
    assert "```" in fence, "the sql fence is not closed"
    assert "updated_at" in fence.split("```", 1)[0]


def test_markdown_format_in_sync(run_cli, make_db):
    live = make_db(schema_files(SCHEMA))
    run = run_cli("check", "--live", live.url, "--desired", str(SCHEMA), "--format", "markdown")
    assert run.code == 0, run.err
    assert "in sync" in run.out.lower()
    assert "```sql" not in run.out


def test_github_format(run_cli, drifted_live):
    drifted_live.execute("drop index prop_trading_model.orders_instrument_created_idx")
    run = run_cli("check", "--live", drifted_live.url, "--desired", str(SCHEMA),
                  "--format", "github")
    assert run.code == 2, run.err
    lines = run.out.splitlines()
    assert len(lines) == 2, run.out
    for line in lines:
        assert line.startswith("::error"), line
        assert "::" in line[len("::error"):], line
    assert any("updated_at" in line for line in lines)
    assert any("orders_instrument_created_idx" in line for line in lines)


def test_github_format_in_sync_prints_nothing(run_cli, make_db):
    live = make_db(schema_files(SCHEMA))
    run = run_cli("check", "--live", live.url, "--desired", str(SCHEMA), "--format", "github")
    assert run.code == 0, run.err
    assert "::error" not in run.out


def test_sql_format_is_executable(run_cli, drifted_live):
    run = run_cli("check", "--live", drifted_live.url, "--desired", str(SCHEMA))
    assert run.code == 2
    # stdout holds only SQL and comments: it runs as is
    drifted_live.execute(run.out)
    assert run_cli("check", "--live", drifted_live.url, "--desired", str(SCHEMA)).code == 0
