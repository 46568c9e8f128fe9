"""Terminal behaviour: SQL is highlighted on a TTY and plain when piped; NO_COLOR wins;
progress goes to stderr and results to stdout."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from conftest import DB, ROOT

LIVE = "create table t (id int primary key);"
DESIRED = "create table t (id int primary key, note text);"
ESC = "\x1b["


def _diffcheck(args: list[str], env: dict[str, str], tty: bool) -> tuple[int, str, str]:
    base = dict(os.environ, **env)
    base.pop("DIFFCHECK_LIVE_URL", None)
    cmd = [sys.executable, "-m", "diffcheck", *args]
    if not tty:
        proc = subprocess.run(cmd, env=base, capture_output=True, text=True, cwd=ROOT)
        return proc.returncode, proc.stdout, proc.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, env=base, stdout=slave, stderr=subprocess.PIPE, cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    err = proc.stderr.read().decode() if proc.stderr else ""
    return proc.wait(), b"".join(chunks).decode(errors="replace"), err


def _files(make_db, tmp_path: Path) -> tuple[DB, Path]:  # type: ignore[no-untyped-def]
    live = make_db(LIVE)
    desired = tmp_path / "desired.sql"
    desired.write_text(DESIRED)
    return live, desired


def test_tty_is_highlighted_pipe_is_plain_and_no_color_wins(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    live, desired = _files(make_db, tmp_path)
    args = ["check", "--live", live.url, "--desired", str(desired), "--no-cache"]
    code, out, _ = _diffcheck(args, {}, tty=True)
    assert code == 2
    assert ESC in out and "note" in out
    code, out, _ = _diffcheck(args, {}, tty=False)
    assert code == 2
    assert ESC not in out and 'add column "note" text' in out
    code, out, _ = _diffcheck(args, {"NO_COLOR": "1"}, tty=True)
    assert code == 2
    assert ESC not in out and 'add column "note" text' in out


def test_progress_on_stderr_results_on_stdout(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    live, desired = _files(make_db, tmp_path)
    code, out, err = _diffcheck(
        ["check", "--live", live.url, "--desired", str(desired), "--no-cache", "--verbose"],
        {}, tty=False)
    assert code == 2, err
    assert "diffcheck: building scratch" in err and "inspecting" in err
    assert "diffcheck:" not in out
    code, out, err = _diffcheck(
        ["check", "--live", live.url, "--desired", str(desired), "--no-cache", "--quiet"],
        {}, tty=False)
    assert code == 2 and "statement(s)" not in err and 'add column "note"' in out
