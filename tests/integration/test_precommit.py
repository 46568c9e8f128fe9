"""The pre-commit hook: ``python -m diffcheck.precommit`` builds schema/ and reports file:line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def hook(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DIFFCHECK_") and k != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "-m", "diffcheck.precommit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def test_good_schema_builds(pg_url: str, tmp_path: Path) -> None:
    desired = write(
        tmp_path / "schema",
        {
            "10_a.sql": "create table a (id integer primary key);\n",
            "20_b.sql": "create table b (id integer primary key, a_id integer references a);\n",
        },
    )
    proc = hook("--desired", str(desired), "--scratch-url", pg_url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "schema builds cleanly (2 file(s)" in proc.stdout


def test_example_schema_builds_with_default_desired(pg_url: str) -> None:
    proc = hook("--scratch-url", pg_url, "schema/40_orders.sql")  # file names are ignored
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("schema: schema builds cleanly (9 file(s)")


def test_syntax_error_reports_file_and_line(pg_url: str, tmp_path: Path) -> None:
    desired = write(
        tmp_path / "schema",
        {
            "10_ok.sql": "create table ok (id integer);\n",
            "20_file.sql": "-- a comment\ncreate table t (\n  id integer primary key,,\n);\n",
        },
    )
    proc = hook("--desired", str(desired), "--scratch-url", pg_url)
    assert proc.returncode == 1
    assert f"{desired}/20_file.sql:3:" in proc.stdout
    assert "syntax error" in proc.stdout


def test_syntax_errors_need_no_server(tmp_path: Path) -> None:
    desired = write(tmp_path / "s", {"file.sql": "select 1;\n\ncreate tabel x (id int);\n"})
    unreachable = "postgresql://nobody:secret@127.0.0.1:1/nowhere?connect_timeout=2"
    proc = hook("--desired", str(desired), "--scratch-url", unreachable)
    assert proc.returncode == 1
    assert 'file.sql:3:8: syntax error at or near "tabel"' in proc.stdout
    # Unterminated input: the error is placed at the end of the file.
    write(desired, {"file.sql": "create table x (\n  id int,\n  note text\n"})
    proc = hook("--desired", str(desired), "--scratch-url", unreachable)
    assert proc.returncode == 1
    assert "file.sql:3:" in proc.stdout and "end of input" in proc.stdout


def test_runtime_error_reports_file_and_line(pg_url: str, tmp_path: Path) -> None:
    desired = write(
        tmp_path / "schema",
        {
            "10_a.sql": "create table a (id integer primary key);\n",
            "20_file.sql": "create table b (id integer);\n\n"
            "create index b_x_idx\n    on missing_table (id);\n",
        },
    )
    proc = hook("--desired", str(desired), "--scratch-url", pg_url)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # PostgreSQL gives no position for a missing relation in DDL: the statement's first line.
    assert f"{desired}/20_file.sql:3:1: " in proc.stdout
    assert 'relation "missing_table" does not exist' in proc.stdout


def test_runtime_error_with_a_position(pg_url: str, tmp_path: Path) -> None:
    desired = write(
        tmp_path / "schema",
        {
            "file.sql": "create table a (id integer primary key);\n"
            "create view v as\n  select id, nope\n  from a;\n",
        },
    )
    proc = hook("--desired", str(desired), "--scratch-url", pg_url)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f'{desired}/file.sql:3:14: column "nope" does not exist' in proc.stdout


def test_errors_exit_1_with_masked_urls(tmp_path: Path) -> None:
    proc = hook("--desired", str(tmp_path / "nope"))
    assert proc.returncode == 1
    assert "not found" in proc.stderr
    desired = write(tmp_path / "s", {"a.sql": "create table a (id int);\n"})
    proc = hook(
        "--desired",
        str(desired),
        "--scratch-url",
        "postgresql://nobody:hunter2@127.0.0.1:1/x?connect_timeout=2",
    )
    assert proc.returncode == 1
    assert "hunter2" not in proc.stdout + proc.stderr
    assert proc.stderr.startswith("diffcheck-precommit: error:")


def test_hook_manifest_points_at_the_module() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: diffcheck-build" in text
    assert "entry: python -m diffcheck.precommit" in text
    assert "pass_filenames: false" in text


@pytest.mark.parametrize("argv", [["--help"]])
def test_help(argv: list[str]) -> None:
    proc = hook(*argv)
    assert proc.returncode == 0
    assert "--scratch-url" in proc.stdout and "--desired" in proc.stdout
