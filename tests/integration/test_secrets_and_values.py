"""Bad input through the CLI: malformed URLs never print their password, from any source;
bad config values are one ``error:`` line naming their source, exit 1, never an internal
error."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

PW = "Zq9secretPW"
BAD_URLS = [
    f"postgres//u:{PW}@host/db",
    f"postgresql:/u:{PW}@host/db",
    f"u:{PW}@host/db",
    f"postgresql://u:{PW}@host:notaport/db",
    f"postgresql://u:{PW}@[::1/db",
    f"host=127.0.0.1 port=1 user=u password={PW}",
    f"host=h password='{PW} x",
    f"postgresql://u:{PW}@127.0.0.1:1/db",  # well-formed, nothing listening
]
SCHEMA = str(ROOT / "schema")


def _one_error(run) -> str:
    text = run.out + run.err
    assert PW not in text, text
    assert run.code == 1, text
    errors = [ln for ln in run.err.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and len(run.err.strip().splitlines()) == 1, run.err
    assert "internal error" not in text and "Traceback" not in text, text
    return errors[0]


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_live_url_flag(run_cli, url):
    _one_error(run_cli("check", "--live", url, "--desired", SCHEMA))


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_scratch_url_flag(run_cli, pg_url, url):
    _one_error(run_cli("check", "--live", pg_url, "--scratch-url", url, "--desired", SCHEMA,
                       "--no-cache"))  # fmt: skip


@pytest.mark.parametrize("var", ["DIFFCHECK_LIVE_URL", "DATABASE_URL"])
@pytest.mark.parametrize("url", BAD_URLS[:5])
def test_bad_live_url_from_the_environment(run_cli, var, url):
    _one_error(run_cli("check", "--desired", SCHEMA, env={var: url}))


@pytest.mark.parametrize("url", BAD_URLS[:5])
def test_bad_live_url_from_pyproject(run_cli, tmp_path, url):
    (tmp_path / "pyproject.toml").write_text(f"[tool.diffcheck]\nlive = '{url}'\n")
    _one_error(run_cli("--project-dir", str(tmp_path), "check", "--desired", SCHEMA))


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_targets_file(run_cli, tmp_path, url):
    targets = tmp_path / "targets.txt"
    targets.write_text(url + "\n")
    run = run_cli("check", "--targets", str(targets), "--desired", SCHEMA)
    assert PW not in run.out + run.err and run.code == 1, run.out + run.err
    assert "internal error" not in run.out + run.err


def test_unreachable_target_among_good_ones_hides_its_password(run_cli, make_db, tmp_path):
    live = make_db("create table public.t (id int);")
    desired = tmp_path / "schema"
    desired.mkdir()
    (desired / "t.sql").write_text("create table public.t (id int);\n")
    targets = tmp_path / "targets.txt"
    targets.write_text(f"{live.url}\npostgresql://u:{PW}@127.0.0.1:1/db\n")
    run = run_cli("check", "--targets", str(targets), "--desired", str(desired))
    assert PW not in run.out + run.err and run.code == 1, run.out + run.err
    assert "u:***@127.0.0.1:1/db" in run.out


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("var", "value", "field"),
    [
        ("DIFFCHECK_LOCK_TIMEOUT", "nan", "lock_timeout"),
        ("DIFFCHECK_RETRIES", "-3", "retries"),
        ("DIFFCHECK_STATEMENT_TIMEOUT", "inf", "statement_timeout"),
        ("DIFFCHECK_CACHE", "perhaps", "cache"),
    ],
)
@pytest.mark.parametrize("command", [["check"], ["apply", "--auto"], ["diff", "a", "b"]])
def test_bad_environment_values(run_cli, var, value, field, command):
    error = _one_error(run_cli(*command, env={var: value}))
    assert error.startswith(f"error: environment variable {var}: invalid value {value!r} ")
    assert f"for {field} (" in error


@pytest.mark.parametrize(
    ("args", "prefix"),
    [
        (["apply", "--auto", "--lock-timeout", "nan"], "error: --lock-timeout: invalid value"),
        (["apply", "--auto", "--lock-timeout", "abc"], "error: --lock-timeout: invalid value"),
        (["apply", "--auto", "--statement-timeout", "inf"], "error: --statement-timeout: "),
        (["apply", "--auto", "--lock-wait", "-1"], "error: --lock-wait: invalid value"),
        (["apply", "--auto", "--retries", "-3"], "error: --retries: invalid value '-3'"),
        (["check", "--targets", "t.txt", "-j", "0"], "error: --jobs: invalid value '0'"),
        (["clean", "--older-than", "nan"], "error: --older-than: invalid value 'nan'"),
        (["clean", "--older-than", "-5"], "error: --older-than: invalid value '-5'"),
        (["history", "--limit", "0"], "error: --limit: invalid value '0'"),
    ],
)
def test_bad_flag_values(run_cli, args, prefix):
    assert _one_error(run_cli(*args)).startswith(prefix)


def test_bad_pyproject_value_names_its_line(run_cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.diffcheck]\ndesired = "schema"\nlock_timeout = nan\n'
    )
    error = _one_error(run_cli("--project-dir", str(tmp_path), "check"))
    path = Path(tmp_path) / "pyproject.toml"
    assert error == (
        f"error: {path}:6: invalid value nan for lock_timeout "
        "(a finite number of seconds > 0, at most 86400)"
    )
