"""Lock waits fail fast and name who holds the lock; SIGTERM and SIGINT end a command within
a second, with its server queries cancelled, its client tools ended and its scratch
databases dropped.

These tests run diffcheck as a subprocess against a private cluster: on it every scratch
database and every backend named "diffcheck" is this test's, so "none left" is exact."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from conftest import ROOT, private_cluster, scratch_dbs
from psycopg2 import sql

from diffcheck import dsn as dsnlib
from diffcheck import pg
from diffcheck.errors import LockError

LIVE = """
create table public.t (id int primary key, v int);
create table public.plain (a int);
insert into public.t select g, g % 7 from generate_series(1, 100) g;
"""
DESIRED = LIVE.split("insert")[0] + "create index t_v on public.t (v);\n"
BLOCKER = "dc-test-blocker"


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """Admin URL of a private cluster, this module's alone."""
    yield from private_cluster()


@pytest.fixture
def live(cluster: str) -> Iterator[str]:
    """A fresh live database shaped like LIVE, dropped afterwards."""
    name = "dctest_" + secrets.token_hex(5)
    _admin(cluster, sql.SQL("create database {}").format(sql.Identifier(name)))
    url = dsnlib.with_dbname(cluster, name)
    with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
        cur.execute(LIVE)
        conn.commit()
    try:
        yield url
    finally:
        _admin(cluster, sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "schema.sql").write_text(DESIRED)
    return tmp_path


def _admin(url: str, statement: sql.Composable | str) -> None:
    with contextlib.closing(psycopg2.connect(url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement)


def _query(url: str, text: str) -> list[tuple]:
    with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
        cur.execute(text)
        return list(cur.fetchall())


@contextlib.contextmanager
def locked(url: str, table: str, mode: str = "access exclusive") -> Iterator[int]:
    """Another session holding ``table`` locked in an open transaction; yields its pid."""
    holder = psycopg2.connect(url, application_name=BLOCKER)
    try:
        with holder.cursor() as cur:
            cur.execute("select pg_backend_pid()")
            pid = cur.fetchone()[0]
            cur.execute(f"lock table {table} in {mode} mode")  # its last query: in the message
        yield pid
    finally:
        holder.rollback()
        holder.close()


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DIFFCHECK_") and k != "DATABASE_URL"
    }
    env.update(PYTHONPATH=str(ROOT), NO_COLOR="1", DIFFCHECK_CACHE_DIR=str(cwd / ".cache"))
    return subprocess.Popen(
        [sys.executable, "-m", "diffcheck", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _diffcheck_backends(cluster: str, where: str = "true") -> list[tuple]:
    return _query(
        cluster,
        "select pid, datname, wait_event_type, state, query from pg_stat_activity "
        f"where application_name = 'diffcheck' and pid <> pg_backend_pid() and ({where})",
    )


def _wait_until(condition, timeout: float, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"diffcheck ended early ({proc.returncode}): {out} {err}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("diffcheck never reached the expected state")
        time.sleep(0.05)


def _assert_nothing_left(cluster: str) -> None:
    """No scratch database, and (after the backends' exit) no backend of diffcheck's."""
    assert scratch_dbs(cluster) == []
    deadline = time.monotonic() + 2
    while _diffcheck_backends(cluster) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _diffcheck_backends(cluster) == []


# --- lock timeouts ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "plan", "diff"])
def test_a_locked_table_fails_read_only_commands_fast_naming_the_holder(
    command: str, cluster: str, live: str, project: Path
) -> None:
    args = {
        "check": ["check", "--live", live, "--no-cache"],
        "plan": ["plan", "--live", live, "-o", "plans/p.sql"],
        "diff": ["diff", live, "schema"],
    }[command]
    with locked(live, "public.t") as pid:
        started = time.monotonic()
        proc = _start([*args, "--lock-timeout", "1"], project)
        out, err = proc.communicate(timeout=60)
        elapsed = time.monotonic() - started
    assert proc.returncode == 1, (out, err)
    # Before: retried with backoff for about a minute.
    assert elapsed < 10, f"{command} took {elapsed:.1f}s"
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("error: inspecting postgresql://"), line
    assert "lock timeout (1s) on public.t" in line, line
    assert f"held in AccessExclusiveLock by pid {pid}" in line, line
    assert f'application {BLOCKER}: "lock table public.t in access exclusive mode"' in line
    assert line.endswith("retry later or raise --lock-timeout"), line
    assert "Traceback" not in err and "gave up" not in err
    assert not (project / "plans" / "p.sql").exists()
    _assert_nothing_left(cluster)


def test_plan_names_the_table_pg_dump_waited_for(cluster: str, live: str, project: Path) -> None:
    """Inspection never locks a table without indexes or constraints, but pg_dump locks
    every table: plan then fails in pg_dump, bounded by --lock-timeout, naming the holder."""
    with locked(live, "public.plain") as pid:
        started = time.monotonic()
        proc = _start(["plan", "--live", live, "-o", "plans/p.sql", "--lock-timeout", "1"], project)
        out, err = proc.communicate(timeout=60)
        elapsed = time.monotonic() - started
    assert proc.returncode == 1, (out, err)
    assert elapsed < 15, f"plan took {elapsed:.1f}s"
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: pg_dump of postgresql://"), err
    assert "lock timeout (1s) on public.plain" in lines[0], err
    assert f"held in AccessExclusiveLock by pid {pid} (application {BLOCKER}" in lines[0], err
    assert not (project / "plans" / "p.sql").exists()
    _assert_nothing_left(cluster)


def test_pg_dump_waits_no_longer_than_the_lock_timeout(live: str) -> None:
    with locked(live, "public.plain") as pid:
        started = time.monotonic()
        with pytest.raises(LockError) as info:
            pg.pg_dump_schema(live, 15, privileges=False, lock_timeout=0.3)
        assert time.monotonic() - started < 5
    assert "lock timeout (0.3s) on public.plain" in str(info.value)
    assert f"by pid {pid}" in str(info.value)


def test_a_queued_exclusive_request_is_named_with_the_session_it_waits_for(live: str) -> None:
    """ALTER TABLE waiting behind a reader blocks every later reader too: the message names
    the queued request and the session at the head of the queue."""
    from diffcheck import engine

    alter = psycopg2.connect(live, application_name="dc-test-alter")
    alter.autocommit = True
    with alter.cursor() as cur:
        cur.execute("select pg_backend_pid()")
        alter_pid = cur.fetchone()[0]

    def run_alter() -> None:  # waits behind the reader until cancelled
        with contextlib.suppress(psycopg2.Error), alter.cursor() as cur:
            cur.execute("alter table public.t add column w int")

    thread = threading.Thread(target=run_alter, daemon=True)
    try:
        with locked(live, "public.t", "access share") as reader:
            thread.start()
            _poll(lambda: _waiting(live, alter_pid))
            with pg.connection(live, autocommit=True) as conn, pytest.raises(LockError) as info:
                engine.inspect(conn, "live", engine.Filters(), lock_timeout=0.3)
            _admin(live, f"select pg_cancel_backend({alter_pid})")
    finally:
        thread.join(10)
        alter.close()
    message = str(info.value)
    assert "lock timeout (0.3s) on public.t" in message, message
    assert f"requested in AccessExclusiveLock by pid {alter_pid}" in message, message
    assert "(application dc-test-alter: \"alter table public.t add column w int\")" in message
    assert f"queued behind pid {reader}" in message, message


def _waiting(url: str, pid: int) -> bool:
    rows = _query(url, f"select wait_event_type from pg_stat_activity where pid = {pid}")
    return bool(rows) and rows[0][0] == "Lock"


def _poll(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.05)


# --- signals ----------------------------------------------------------------------------------


def _signal_once(
    proc: subprocess.Popen[str], condition, timeout: float, signum: int
) -> tuple[str, str, float]:
    """Wait (up to ``timeout``) until ``condition`` holds, send ``signum``; the process's
    output and the seconds it took to exit after the signal."""
    _wait_until(condition, timeout, proc)
    sent = time.monotonic()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    return out, err, time.monotonic() - sent


def _assert_exited_at_once(
    proc: subprocess.Popen[str], out: str, err: str, elapsed: float, code: int, name: str
) -> None:
    assert proc.returncode == code, (out, err)
    assert elapsed < 2, f"exited {elapsed:.2f}s after {name}"


SIGNALS = [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT")]


@pytest.mark.parametrize(("signum", "code", "name"), SIGNALS, ids=["SIGTERM", "SIGINT"])
def test_a_signal_ends_check_waiting_on_a_lock(
    signum: int, code: int, name: str, cluster: str, live: str, project: Path
) -> None:
    with locked(live, "public.t"):
        proc = _start(["check", "--live", live, "--no-cache", "--lock-timeout", "120"], project)
        # Live's inspection waits on the lock while the desired side's scratch database
        # exists: both must be cleaned up.
        out, err, elapsed = _signal_once(
            proc,
            lambda: _diffcheck_backends(cluster, "wait_event_type = 'Lock'")
            and scratch_dbs(cluster),
            60,
            signum,
        )
    _assert_exited_at_once(proc, out, err, elapsed, code, name)
    assert err.splitlines() == [f"error: interrupted ({name})"], err
    _assert_nothing_left(cluster)


def test_sigterm_ends_plan_while_pg_dump_waits(cluster: str, live: str, project: Path) -> None:
    """The main thread waits on a pg_dump child: the child is ended, and its own query with
    it (pg_dump cancels it on SIGTERM), and the scratch databases are dropped."""
    with locked(live, "public.plain"):
        proc = _start(["plan", "--live", live, "-o", "plans/p.sql", "--lock-timeout", "120"],
                      project)
        out, err, elapsed = _signal_once(
            proc,
            lambda: _query(
                cluster,
                "select 1 from pg_stat_activity where application_name = 'pg_dump' "
                "and wait_event_type = 'Lock'",
            ),
            120,
            signal.SIGTERM,
        )
    _assert_exited_at_once(proc, out, err, elapsed, 143, "SIGTERM")
    assert err.splitlines() == ["error: interrupted (SIGTERM)"], err
    assert not (project / "plans" / "p.sql").exists()
    _assert_nothing_left(cluster)
    assert not _query(cluster, "select 1 from pg_stat_activity where application_name = 'pg_dump'")


def test_sigterm_after_commit_reports_what_was_committed(
    cluster: str, live: str, project: Path
) -> None:
    """apply --online commits, then builds the index CONCURRENTLY, which waits for a writer:
    the main thread is blocked in libpq when SIGTERM arrives. The line says the plan's
    transaction is committed and which history row records it, not just "interrupted"."""
    with locked(live, "public.t", "row exclusive"):
        proc = _start(
            ["apply", "--auto", "--online", "--allow-hazard", "all", "--live", live,
             "--lock-timeout", "120", "--retries", "0"],
            project,
        )
        out, err, elapsed = _signal_once(
            proc,
            lambda: _diffcheck_backends(
                cluster, "wait_event_type = 'Lock' and query ilike 'create index concurrently%'"
            ),
            120,
            signal.SIGTERM,
        )
    _assert_exited_at_once(proc, out, err, elapsed, 143, "SIGTERM")
    lines = err.splitlines()
    assert len(lines) == 1, err
    rows = _query(live, "select id, status from diffcheck.history")
    assert len(rows) == 1 and rows[0][1] == "pending", rows
    assert lines[0].startswith(
        "error: interrupted after commit (SIGTERM): the plan's transactional statements "
        f"were applied (history row {rows[0][0]}, status pending)"
    ), lines[0]
    # The cancelled build's INVALID index could not be dropped while the writer held on.
    assert "left the INVALID index public.t_v" in lines[0], lines[0]
    _assert_nothing_left(cluster)


def test_a_query_blocked_in_libpq_in_the_main_thread_is_cancelled_at_once(live: str) -> None:
    """Python runs signal handlers only between bytecodes of the main thread; psycopg2 waits
    inside libpq. The watchdog cancels the query, so the handler runs within the second,
    and worker threads can neither connect nor query afterwards."""
    from concurrent.futures import ThreadPoolExecutor

    from diffcheck import interrupt

    conn = pg.connect(live, autocommit=True)
    other = pg.connect(live, autocommit=True)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    try:
        with interrupt.installed():
            started = time.monotonic()
            timer.start()
            with pytest.raises(interrupt.Interrupted) as info:
                conn.cursor().execute("select pg_sleep(30)")
            elapsed = time.monotonic() - started
            assert info.value.signum == signal.SIGTERM
            assert interrupt.report(signal.SIGTERM) == ("interrupted (SIGTERM)", 143)
            with ThreadPoolExecutor(1) as pool:
                with pytest.raises(interrupt.Interrupted):
                    pool.submit(pg.connect, live).result()
                with pytest.raises(interrupt.Interrupted):
                    pool.submit(other.cursor().execute, "select 1").result()
            # The main thread may still clean up: one raise, then queries run again.
            with conn.cursor() as cur:
                cur.execute("select 1")
                assert cur.fetchone()[0] == 1
        assert elapsed < 1.5, f"the handler ran {elapsed:.2f}s after the signal was sent"
        assert interrupt.received() is None  # reset for an in-process host
    finally:
        timer.cancel()
        conn.close()
        other.close()
