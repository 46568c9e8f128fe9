"""Filters for `diffcheck check`: --exclude globs over schema.name (both sides), schema include
and exclude lists, and the same settings from [tool.diffcheck] in pyproject.toml (overridden by
environment variables and flags)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT, schema_files

SCHEMA = ROOT / "schema"

EXTRA_PARTITION = (
    "create table prop_trading_model.trades_p2026_07 partition of prop_trading_model.trades "
    "for values from ('2026-07-01 00:00:00+00') to ('2026-08-01 00:00:00+00');\n"
    "create table prop_trading_model.trades_pending (id int primary key, note text);\n"
)


def _statement_lines(out: str) -> list[str]:
    return [
        line for line in out.splitlines()
        if line.strip().lower().startswith(("alter", "create", "drop"))
    ]


def _desired_dir(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    """A copy of the example schema plus extra files."""
    desired = tmp_path / "desired"
    shutil.copytree(SCHEMA, desired)
    for name, text in (extra or {}).items():
        (desired / name).write_text(text)
    return desired


# --- --exclude GLOB -------------------------------------------------------------------------


def test_exclude_glob_hides_extra_partition_and_table_in_live(run_cli, make_db):
    live = make_db(schema_files(SCHEMA) + "\n" + EXTRA_PARTITION)
    base = ("check", "--live", live.url, "--desired", str(SCHEMA))

    unfiltered = run_cli(*base)
    assert unfiltered.code == 2, unfiltered.err
    assert "trades_p2026_07" in unfiltered.out
    assert "trades_pending" in unfiltered.out

    run = run_cli(*base, "--exclude", "prop_trading_model.trades_p*")
    assert run.code == 0, run.out + run.err
    assert _statement_lines(run.out) == []


def test_exclude_glob_applies_to_desired_side_too(run_cli, make_db, tmp_path):
    live = make_db(schema_files(SCHEMA))
    desired = _desired_dir(tmp_path, {
        "99_extra.sql": "create table prop_trading_model.tmp_scratchpad (id int primary key);\n"
                        "create index tmp_scratchpad_idx on prop_trading_model.tmp_scratchpad "
                        "(id);\n",
    })
    base = ("check", "--live", live.url, "--desired", str(desired))
    assert run_cli(*base).code == 2
    run = run_cli(*base, "--exclude", "prop_trading_model.tmp_*")
    assert run.code == 0, run.out + run.err


def test_exclude_glob_does_not_hide_other_differences(run_cli, make_db):
    live = make_db(schema_files(SCHEMA) + "\n" + EXTRA_PARTITION)
    live.execute("alter table prop_trading_model.positions drop column realized_pnl")
    run = run_cli("check", "--live", live.url, "--desired", str(SCHEMA),
                  "--exclude", "prop_trading_model.trades_p*")
    assert run.code == 2, run.err
    statements = _statement_lines(run.out)
    assert len(statements) == 1, run.out
    assert "realized_pnl" in statements[0]
    assert "trades_p" not in run.out


def test_exclude_glob_is_repeatable(run_cli, make_db):
    live = make_db(schema_files(SCHEMA) + "\n" + EXTRA_PARTITION)
    base = ("check", "--live", live.url, "--desired", str(SCHEMA))
    only_one = run_cli(*base, "--exclude", "prop_trading_model.trades_p2026_*")
    assert only_one.code == 2
    assert "trades_pending" in only_one.out
    assert "trades_p2026_07" not in only_one.out
    both = run_cli(*base, "--exclude", "prop_trading_model.trades_p2026_*",
                   "--exclude", "prop_trading_model.trades_pending")
    assert both.code == 0, both.out + both.err


# --- --include-schema / --exclude-schema ----------------------------------------------------

REPORTING = (
    "create schema reporting;\n"
    "create table reporting.summary (id int primary key, total numeric(20, 2), "
    "kind varchar(8) check (kind in ('daily','monthly')));\n"
)
REPORTING_DRIFTED = (
    "create schema reporting;\n"
    "create table reporting.summary (id int primary key, "
    "kind varchar(8) check (kind in ('daily','monthly')));\n"
    "create table reporting.leftover (id int);\n"
)


@pytest.fixture
def two_schemas(make_db, tmp_path):
    """Desired: example schema + reporting. Live: example schema + a drifted reporting."""
    desired = _desired_dir(tmp_path, {"90_reporting.sql": REPORTING})
    live = make_db(schema_files(SCHEMA) + "\n" + REPORTING_DRIFTED)
    return live, desired


def test_second_schema_difference_is_reported(run_cli, two_schemas):
    live, desired = two_schemas
    run = run_cli("check", "--live", live.url, "--desired", str(desired))
    assert run.code == 2, run.err
    statements = _statement_lines(run.out)
    assert all('"reporting"' in s for s in statements), run.out
    assert any('"total"' in s for s in statements)
    assert any('"leftover"' in s for s in statements)


def test_exclude_schema_hides_second_schema(run_cli, two_schemas):
    live, desired = two_schemas
    run = run_cli("check", "--live", live.url, "--desired", str(desired),
                  "--exclude-schema", "reporting")
    assert run.code == 0, run.out + run.err


def test_include_schema_limits_comparison(run_cli, two_schemas):
    live, desired = two_schemas
    base = ("check", "--live", live.url, "--desired", str(desired))
    run = run_cli(*base, "--include-schema", "prop_trading_model")
    assert run.code == 0, run.out + run.err

    run = run_cli(*base, "--include-schema", "reporting")
    assert run.code == 2, run.err
    statements = _statement_lines(run.out)
    assert statements
    assert all('"reporting"' in s for s in statements), run.out


def test_exclude_schema_keeps_differences_elsewhere(run_cli, two_schemas):
    live, desired = two_schemas
    live.execute("alter table prop_trading_model.positions drop column realized_pnl")
    run = run_cli("check", "--live", live.url, "--desired", str(desired),
                  "--exclude-schema", "reporting", "--format", "json")
    assert run.code == 2, run.err
    assert '"statement_count": 1' in run.out
    assert "realized_pnl" in run.out
    assert "reporting" not in run.out.replace(str(desired), "")


def test_include_schema_excluded_schema_wins(run_cli, two_schemas):
    live, desired = two_schemas
    run = run_cli("check", "--live", live.url, "--desired", str(desired),
                  "--include-schema", "reporting", "--exclude-schema", "reporting")
    assert run.code == 0, run.out + run.err


# --- [tool.diffcheck] in pyproject.toml -------------------------------------------------------

APP = "create schema app;\ncreate table app.users (id int primary key, email text not null);\n"


@pytest.fixture
def project(make_db, tmp_path):
    """A project dir whose pyproject excludes app.tmp_*; live has an extra app.tmp_import."""
    proj = tmp_path / "proj"
    (proj / "db").mkdir(parents=True)
    (proj / "db" / "01_app.sql").write_text(APP)
    (proj / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n'
        '[tool.diffcheck]\n'
        'desired = "db"\n'
        'exclude = ["app.tmp_*"]\n'
    )
    live = make_db(APP + "create table app.tmp_import (id int, payload text);\n")
    return proj, live


def test_pyproject_exclude_is_honoured(run_cli, project):
    proj, live = project
    run = run_cli("check", "--live", live.url, cwd=proj)
    assert run.code == 0, run.out + run.err


def test_pyproject_exclude_is_overridden_by_flag(run_cli, project):
    proj, live = project
    run = run_cli("check", "--live", live.url, "--exclude", "app.nothing_*", cwd=proj)
    assert run.code == 2, run.out + run.err
    assert "tmp_import" in run.out
    statements = _statement_lines(run.out)
    assert len(statements) == 1, run.out
    assert statements[0].lower().startswith("drop table")


def test_pyproject_exclude_is_overridden_by_environment(run_cli, project):
    proj, live = project
    run = run_cli("check", "--live", live.url, cwd=proj,
                  env={"DIFFCHECK_EXCLUDE": "app.nothing_*"})
    assert run.code == 2, run.out + run.err
    assert "tmp_import" in run.out


def test_pyproject_read_from_project_dir_option(run_cli, project, tmp_path):
    proj, live = project
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = run_cli("--project-dir", str(proj), "check", "--live", live.url, cwd=elsewhere)
    assert run.code == 0, run.out + run.err


def test_pyproject_without_config_in_cwd_compares_everything(run_cli, project, tmp_path):
    proj, live = project
    bare = tmp_path / "bare"
    bare.mkdir()
    run = run_cli("check", "--live", live.url, "--desired", str(proj / "db"), cwd=bare)
    assert run.code == 2, run.out + run.err
    assert "tmp_import" in run.out




def test_pyproject_unknown_key_is_an_error(run_cli, project):
    proj, live = project
    (proj / "pyproject.toml").write_text(
        '[tool.diffcheck]\ndesired = "db"\nexclud = ["app.tmp_*"]\n'
    )
    run = run_cli("check", "--live", live.url, cwd=proj)
    assert run.code == 1
    lines = run.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.err
    assert "exclud" in lines[0]


def test_invalid_environment_value_is_an_error(run_cli, project):
    proj, live = project
    run = run_cli("check", "--live", live.url, cwd=proj, env={"DIFFCHECK_FORMAT": "yaml"})
    assert run.code == 1
    lines = run.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.err
    assert "DIFFCHECK_FORMAT" in lines[0]
