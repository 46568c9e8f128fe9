"""apply's safety properties against a real PostgreSQL: refusals (unapproved, tampered,
riskier than approved), drift, idempotence, concurrent applies, SIGKILL at any point, lock
timeouts with retries, residual differences, --online index builds and apply --auto."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import psycopg2.extras
import pytest
from conftest import private_cluster, scratch_dbs, throwaway_database

from diffcheck import engine
from diffcheck import plan as planlib
from diffcheck.cli import main

BIN = Path(sys.executable).parent / "diffcheck"

BEFORE = """
create table public.t (id int primary key, a text);
"""
DATA = "insert into public.t select g, 'x' || g from generate_series(1, 200) g;"
AFTER = """
create table public.t (id int primary key, a text, b integer not null default 0);
create index t_a on public.t (a);
"""

# --- helpers ----------------------------------------------------------------------------------


def write_dir(path: Path, text: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "schema.sql").write_text(text)
    return path


def fingerprint(url: str) -> str:
    conn = psycopg2.connect(url, cursor_factory=psycopg2.extras.NamedTupleCursor)
    try:
        return planlib.fingerprint(engine.inspect(conn, "test", engine.Filters()).inspector)
    finally:
        conn.close()


def pg_dump_schema(url: str) -> str:
    out = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", url], check=True, capture_output=True,
        text=True,
    ).stdout
    # pg_dump 15.x prints a random \restrict key in newer minor releases; ignore such lines.
    return "\n".join(line for line in out.splitlines() if not line.startswith("\\"))


def history(run_cli, url: str) -> list[dict]:
    run = run_cli("history", "--live", url, "--format", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


def columns(db, table: str = "public.t") -> list[str]:
    rows = db.query(
        "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0 "
        "and not attisdropped order by attnum",
        (table,),
    )
    return [r[0] for r in rows]


def sub_env(live_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith("DIFFCHECK_") and k != "DATABASE_URL"
    }
    env.update(DIFFCHECK_LIVE_URL=live_url, NO_COLOR="1", **extra)
    return env


class Proc:
    """A diffcheck subprocess whose stderr lines are collected as they arrive."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.p = subprocess.Popen(
            [str(BIN), *args], env=env, cwd=cwd, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[str] = []
        self.out = ""
        self._cond = threading.Condition()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self) -> None:
        assert self.p.stderr is not None
        for line in self.p.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, needle: str, timeout: float) -> bool:
        """Block until a stderr line contains ``needle`` (False on exit or timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if any(needle in line for line in self.lines):
                    return True
                if self.p.poll() is not None and not self._t.is_alive():
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))

    def finish(self, timeout: float = 300) -> int:
        assert self.p.stdout is not None
        try:
            code = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise AssertionError(f"diffcheck did not finish in {timeout}s: {self.err}") from None
        self.out = self.p.stdout.read()
        self._t.join(timeout=10)
        return code

    @property
    def err(self) -> str:
        return "\n".join(self.lines)


def _cli(*args: str, cwd: Path) -> tuple[int, str, str]:
    """diffcheck in-process (for module-scoped fixtures, where run_cli is unavailable)."""
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def _database(admin_url: str, text: str) -> Iterator[str]:
    with throwaway_database(admin_url, text) as db:
        yield db.url


class StdPlan:
    """One plan BEFORE -> AFTER, made once per module; tests copy it and apply it to fresh
    databases built from BEFORE (a plan is bound to a schema fingerprint, not a database)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.before = write_dir(root / "before", BEFORE)
        self.after = write_dir(root / "after", AFTER)
        self.plans = root / "plans"

    def copy(self, dest: Path) -> Path:
        shutil.copytree(self.plans, dest / "plans")
        return dest / "plans" / "std.sql"


@pytest.fixture(scope="module")
def std(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> StdPlan:
    root = tmp_path_factory.mktemp("std")
    s = StdPlan(root)
    with _database(pg_url, BEFORE + DATA) as live:
        code, out, err = _cli(
            "plan", "--live", live, "--desired", str(s.after), "-o", str(s.plans / "std.sql"),
            cwd=root,
        )
    assert code == 0, (out, err)
    p = planlib.load(s.plans / "std.sql")
    assert p.verified
    assert {"BLOCKS_WRITES", "BUILDS_INDEX"} <= p.hazard_codes()
    assert "DELETES_DATA" not in p.hazard_codes()
    return s


def approve(run_cli, path: Path, *allow: str) -> None:
    args = [a for code in (allow or ("all",)) for a in ("--allow-hazard", code)]
    r = run_cli("approve", str(path), "--by", "alice", *args)
    assert r.code == 0, (r.out, r.err)


# --- refusals ---------------------------------------------------------------------------------


def test_unapproved_plan_is_refused(std, make_db, run_cli, tmp_path):
    path = std.copy(tmp_path)
    live = make_db(BEFORE + DATA)
    fp = fingerprint(live.url)
    r = run_cli("apply", str(path), "--live", live.url)
    assert r.code == 1, (r.out, r.err)
    assert "not approved" in r.err
    assert r.err.count("\n") == 1 and r.err.startswith("error: ")
    assert fingerprint(live.url) == fp
    assert history(run_cli, live.url) == []


def test_statement_edited_after_approval_is_refused(std, make_db, run_cli, tmp_path):
    path = std.copy(tmp_path)
    approve(run_cli, path)
    text = path.read_text()
    assert "default 0" in text
    path.write_text(text.replace("default 0", "default 1"))
    live = make_db(BEFORE + DATA)
    fp = fingerprint(live.url)
    r = run_cli("apply", str(path), "--live", live.url)
    assert r.code == 1, (r.out, r.err)
    assert "changed after approval" in r.err and "void" in r.err
    assert fingerprint(live.url) == fp


@pytest.mark.parametrize("which", ["to", "from"])
def test_tampered_sidecar_is_refused(std, make_db, run_cli, tmp_path, which):
    path = std.copy(tmp_path)
    approve(run_cli, path)
    side = path.with_name(f"std.{which}.sql")
    side.write_text(side.read_text() + "\ncreate table public.evil (id int);\n")
    live = make_db(BEFORE + DATA)
    fp = fingerprint(live.url)
    r = run_cli("apply", str(path), "--live", live.url)
    assert r.code == 1, (r.out, r.err)
    assert "does not match the hash" in r.err and "tampered" in r.err
    assert str(side) in r.err
    assert fingerprint(live.url) == fp
    # A missing sidecar is refused too.
    side.unlink()
    r = run_cli("apply", str(path), "--live", live.url)
    assert r.code == 1 and "missing plan sidecar" in r.err, r.err


def test_hazards_beyond_the_approval_are_refused(std, make_db, run_cli, tmp_path):
    path = std.copy(tmp_path)
    approve(run_cli, path)
    p = planlib.load(path)
    assert p.approval is not None and "BUILDS_INDEX" in p.approval.allow
    digest = p.digest()
    # Edit only the approval JSON: the digest (and the rehearsal stamp) stay valid.
    text = path.read_text()
    line = next(x for x in text.splitlines() if x.startswith("-- @approval: "))
    data = json.loads(line[len("-- @approval: ") :])
    data["allow"] = [c for c in data["allow"] if c != "BUILDS_INDEX"]
    path.write_text(text.replace(line, "-- @approval: " + json.dumps(data)))
    edited = planlib.load(path)
    assert edited.digest() == digest and edited.verified
    assert edited.approval is not None and edited.approval.digest == digest
    live = make_db(BEFORE + DATA)
    fp = fingerprint(live.url)
    r = run_cli("apply", str(path), "--live", live.url)
    assert r.code == 1, (r.out, r.err)
    assert "hazards exceed the approval" in r.err and "BUILDS_INDEX" in r.err
    assert fingerprint(live.url) == fp


def test_approve_refuses_unlisted_hazards_and_implicit_deletes(std, run_cli, tmp_path):
    path = std.copy(tmp_path)
    r = run_cli("approve", str(path), "--by", "alice", "--allow-hazard", "BLOCKS_WRITES")
    assert r.code == 1 and "hazards not allowed" in r.err and "BUILDS_INDEX" in r.err, r.err
    assert planlib.load(path).approval is None


# --- residual: forged stamps cannot get a wrong change committed -----------------------------


def _forge_stamps(path: Path) -> None:
    """Re-stamp a hand-edited plan as verified and approved, as a careless script might."""
    p = planlib.load(path)
    assert p.approval is not None
    digest = p.digest()
    p.header["rehearsal"] = f"VERIFIED {digest} rounds=1"
    p.approval.digest = digest
    planlib.save(p, path)


def test_incomplete_plan_with_forged_stamps_is_rolled_back_as_residual(
    std, make_db, run_cli, tmp_path
):
    path = std.copy(tmp_path)
    approve(run_cli, path)
    text = path.read_text()
    p = planlib.load(path)
    index_stmt = next(s for s in p.statements if "t_a" in s and "INDEX" in s.upper())
    path.write_text(text.replace(index_stmt, "-- index left out\n"))
    _forge_stamps(path)
    forged = planlib.load(path)
    assert forged.verified and len(forged.statements) == len(p.statements) - 1
    live = make_db(BEFORE + DATA)
    dump = pg_dump_schema(live.url)
    r = run_cli("apply", str(path), "--live", live.url)
    assert r.code == 1, (r.out, r.err)
    assert "still differs from desired" in r.err and "rolled back" in r.err
    assert "-- residual difference:" in r.err and "t_a" in r.err
    assert pg_dump_schema(live.url) == dump
    assert history(run_cli, live.url) == []


# --- drift ------------------------------------------------------------------------------------


def test_drift_after_approval_is_refused_and_shown(std, make_db, run_cli, tmp_path):
    path = std.copy(tmp_path)
    approve(run_cli, path)
    live = make_db(BEFORE + DATA)
    live.execute("alter table public.t add column drifted int")
    dump = pg_dump_schema(live.url)
    r = run_cli("apply", str(path), "--live", live.url)
    assert r.code == 1, (r.out, r.err)
    assert "live changed since the plan was reviewed" in r.err
    assert "statements that would bring live back" in r.err
    assert re.search(r'alter table "public"\."t" drop column "drifted"', r.err), r.err
    assert pg_dump_schema(live.url) == dump
    assert columns(live) == ["id", "a", "drifted"]


# --- idempotence ------------------------------------------------------------------------------


def test_apply_twice_is_already_applied_with_one_history_row(std, make_db, run_cli, tmp_path):
    path = std.copy(tmp_path)
    approve(run_cli, path)
    p = planlib.load(path)
    live = make_db(BEFORE + DATA)
    r = run_cli("apply", str(path), "--live", live.url)
    assert r.code == 0, (r.out, r.err)
    assert "applied" in r.out and "history id" in r.out
    assert fingerprint(live.url) == p.to_fp
    r = run_cli("apply", str(path), "--live", live.url)
    assert r.code == 0, (r.out, r.err)
    assert "already applied" in r.out
    rows = history(run_cli, live.url)
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["status"] == "applied"
    assert row["plan_digest"] == p.digest() and row["plan_name"] == "std"
    assert row["approved_by"] == "alice (unverified)"  # no allowed-signers file configured
    assert row["statement_count"] == len(p.statements)
    assert row["finished_at"] not in (None, "None")
    r = run_cli("check", "--live", live.url, "--desired", str(std.after))
    assert r.code == 0, (r.out, r.err)


# --- concurrency ------------------------------------------------------------------------------


def test_two_concurrent_applies_apply_once(std, make_db, run_cli, tmp_path):
    path = std.copy(tmp_path)
    approve(run_cli, path)
    p = planlib.load(path)
    live = make_db(BEFORE + DATA)
    env = sub_env(live.url)
    procs = [Proc(["apply", str(path)], env, tmp_path) for _ in range(2)]
    codes = [pr.finish() for pr in procs]
    for pr, code in zip(procs, codes, strict=True):
        assert code in (0, 1), (code, pr.out, pr.err)
        if code == 1:
            assert "lock" in pr.err, pr.err
    assert 0 in codes, [(pr.out, pr.err) for pr in procs]
    outs = sorted(pr.out for pr in procs)
    assert sum(o.startswith("applied ") for o in outs) == 1, outs
    for pr, code in zip(procs, codes, strict=True):
        if code == 0 and not pr.out.startswith("applied "):
            assert pr.out.startswith("already applied"), pr.out
    rows = history(run_cli, live.url)
    assert len(rows) == 1, rows
    assert fingerprint(live.url) == p.to_fp


# --- SIGKILL at any point ---------------------------------------------------------------------

N_TABLES = 30
CRASH_OLD = "create table public.base (id int primary key);\n"
CRASH_NEW = CRASH_OLD + "".join(
    f"create table public.t{i:02d} (id bigint primary key, base_id int references public.base,"
    f" a text not null default 'x', b int, c timestamptz default now());\n"
    f"create index t{i:02d}_b on public.t{i:02d} (b);\n"
    f"create index t{i:02d}_ab on public.t{i:02d} (a, b) where b > 0;\n"
    for i in range(N_TABLES)
)


@pytest.fixture
def private_scratch_server() -> Iterator[str]:
    """A throwaway cluster for scratch databases only: ``clean --older-than 0`` there cannot
    touch other runs' scratch databases on the shared test server."""
    yield from private_cluster()


def test_sigkill_during_apply_leaves_live_old_or_new(
    private_scratch_server, make_db, run_cli, tmp_path
):
    scratch = private_scratch_server
    old_dir = write_dir(tmp_path / "old", CRASH_OLD)
    new_dir = write_dir(tmp_path / "new", CRASH_NEW)
    live = make_db(CRASH_OLD)
    path = tmp_path / "plans" / "big.sql"
    r = run_cli("plan", "--live", live.url, "--scratch-url", scratch, "--desired", str(new_dir),
                "-o", str(path), cwd=tmp_path)
    assert r.code == 0, (r.out, r.err)
    approve(run_cli, path)
    p = planlib.load(path)
    assert len(p.statements) >= 3 * N_TABLES
    env = sub_env(live.url, DIFFCHECK_SCRATCH_URL=scratch)
    n = len(p.statements)
    # Progress-based kills land inside the transaction, so they come first. Time-based kills
    # come last: on a fast machine a whole apply can finish within the delay (it did in CI,
    # at 1.5 s), and the first "new" state ends the loop.
    points: list[Callable[[Proc], bool]] = [
        *(lambda pr, m=m: pr.wait_for(m, 240)
          for m in ("applying statement 1/", f"applying statement {n // 2}/",
                    f"applying statement {n}/", "verifying before commit")),
        *(lambda pr, d=d: (time.sleep(d), False)[1] for d in (0.05, 0.5, 1.5)),
    ]
    states = []
    for point in points:
        pr = Proc(["apply", "-v", str(path)], env, tmp_path)
        in_transaction = point(pr)
        with contextlib.suppress(ProcessLookupError):
            pr.p.send_signal(signal.SIGKILL)
        pr.finish()
        fp = fingerprint(live.url)
        assert fp in (p.from_fp, p.to_fp), pr.err
        states.append(("new" if fp == p.to_fp else "old", in_transaction))
        if fp == p.to_fp:
            break
    assert states[0][0] == "old"
    # At least one kill landed inside the transaction, and the server rolled it all back.
    assert ("old", True) in states, (states, pr.err)
    if states[-1][0] == "old":
        assert live.query("select to_regclass('diffcheck.history') is null") == [(True,)]
    if states[-1][0] == "old":
        # Killed mid-transaction: the server rolled everything back, tables included.
        assert live.query("select count(*) from pg_tables where tablename like 't__'") == [(0,)]
        r = run_cli("check", "--live", live.url, "--scratch-url", scratch,
                    "--desired", str(old_dir))
        assert r.code == 0, (r.out, r.err)

    # A final apply finishes the job (or finds it done), exactly one history row.
    r = run_cli("apply", str(path), "--live", live.url, "--scratch-url", scratch)
    assert r.code == 0, (r.out, r.err)
    assert fingerprint(live.url) == p.to_fp
    r = run_cli("check", "--live", live.url, "--scratch-url", scratch, "--desired", str(new_dir))
    assert r.code == 0, (r.out, r.err)
    assert len(history(run_cli, live.url)) == 1

    # The killed processes could not drop their scratch databases; clean does.
    left = scratch_dbs(scratch)
    assert left, "expected killed applies to leave scratch databases behind"
    r = run_cli("clean", "--live", live.url, "--scratch-url", scratch, "--older-than", "0")
    assert r.code == 0, (r.out, r.err)
    for name in left:
        assert f"dropped {name}" in r.out
    assert scratch_dbs(scratch) == []


# --- lock timeouts ----------------------------------------------------------------------------


def test_lock_timeout_retries_then_succeeds_or_gives_up_cleanly(std, make_db, run_cli, tmp_path):
    # The blocker is a long transaction that has read t (ACCESS SHARE): the plan's ALTER TABLE
    # needs ACCESS EXCLUSIVE and must time out after --lock-timeout, and retry with backoff.
    path = std.copy(tmp_path)
    approve(run_cli, path)
    p = planlib.load(path)
    live = make_db(BEFORE + DATA)
    env = sub_env(live.url)
    holder = psycopg2.connect(live.url)
    try:
        # 1. Never released, one retry: a clean refusal, live unchanged.
        with holder.cursor() as cur:
            cur.execute("lock table public.t in access share mode")
        pr = Proc(["apply", str(path), "--lock-timeout", "0.2", "--retries", "1"], env, tmp_path)
        code = pr.finish()
        assert code == 1, (pr.out, pr.err)
        errors = [line for line in pr.lines if line.startswith("error: ")]
        assert len(errors) == 1, pr.err
        assert "gave up after 2 attempt(s)" in errors[0] and "live is unchanged" in errors[0]
        assert "Traceback" not in pr.err
        assert fingerprint(live.url) == p.from_fp
        holder.rollback()
        assert history(run_cli, live.url) == []

        # 2. Released about 1.5 s after the first lock timeout: retries carry it through.
        with holder.cursor() as cur:
            cur.execute("lock table public.t in access share mode")
        pr = Proc(
            ["apply", "-v", str(path), "--lock-timeout", "0.2", "--retries", "5"], env, tmp_path
        )
        assert pr.wait_for("lock timeout", 300), pr.err
        time.sleep(1.5)
        holder.rollback()
        code = pr.finish()
        assert code == 0, (pr.out, pr.err)
        waits = [line for line in pr.lines if line.startswith("waited: ")]
        assert waits and all("lock timeout" in w for w in waits), pr.err
        assert pr.out.startswith("applied ")
        assert re.search(r"in ([2-6]) attempt\(s\)", pr.out), pr.out
    finally:
        holder.close()
    assert fingerprint(live.url) == p.to_fp
    assert len(history(run_cli, live.url)) == 1


def test_access_exclusive_lock_never_makes_apply_hang(std, make_db, run_cli, tmp_path):
    path = std.copy(tmp_path)
    approve(run_cli, path)
    p = planlib.load(path)
    live = make_db(BEFORE + DATA)
    holder = psycopg2.connect(live.url)
    stuck = None
    pr = None
    try:
        with holder.cursor() as cur:
            cur.execute("lock table public.t in access exclusive mode")
        pr = Proc(["apply", str(path), "--lock-timeout", "0.2", "--retries", "1"],
                  sub_env(live.url), tmp_path)
        deadline = time.monotonic() + 300
        while pr.p.poll() is None and time.monotonic() < deadline:
            # Any diffcheck query waiting on a lock far longer than --lock-timeout.
            rows = live.query(
                "select query from pg_stat_activity where datname = current_database() "
                "and wait_event_type = 'Lock' and pid <> pg_backend_pid() "
                "and now() - query_start > interval '5 seconds'"
            )
            if rows:
                stuck = str(rows[0][0])
                break
            time.sleep(0.5)
    finally:
        holder.rollback()
        holder.close()
        if pr is not None:
            code = pr.finish()
    assert stuck is None, f"apply waited on a table lock with no timeout: {stuck[:100]}"
    assert code == 1, (pr.out, pr.err)
    assert "gave up" in pr.err
    assert fingerprint(live.url) == p.from_fp


# --- --online ---------------------------------------------------------------------------------

ONLINE_BEFORE = "create table public.t (id int primary key, v int);"
ONLINE_AFTER = ONLINE_BEFORE + "\ncreate index t_v on public.t (v);"
ONLINE_DATA = "insert into public.t select g, g % 97 from generate_series(1, 5000) g;"


@pytest.fixture(scope="module")
def online_plan_dir(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("online")
    after = write_dir(root / "after", ONLINE_AFTER)
    with _database(pg_url, ONLINE_BEFORE + ONLINE_DATA) as live:
        code, out, err = _cli(
            "plan", "--live", live, "--desired", str(after), "-o", str(root / "plans" / "idx.sql"),
            cwd=root,
        )
    assert code == 0, (out, err)
    return root / "plans"


@pytest.fixture
def online_plan(online_plan_dir, make_db, run_cli, tmp_path):
    shutil.copytree(online_plan_dir, tmp_path / "plans")
    path = tmp_path / "plans" / "idx.sql"
    approve(run_cli, path)
    return make_db(ONLINE_BEFORE + ONLINE_DATA), path


def _index_valid(db, name: str) -> list[tuple[object, ...]]:
    return db.query(
        "select i.indisvalid, i.indisready from pg_index i join pg_class c "
        "on c.oid = i.indexrelid where c.relname = %s",
        (name,),
    )


def test_online_apply_builds_the_index_concurrently(online_plan, run_cli):
    live, path = online_plan
    p = planlib.load(path)
    assert not any("concurrently" in s.lower() for s in p.statements)
    r = run_cli("apply", str(path), "--live", live.url, "--online")
    assert r.code == 0, (r.out, r.err)
    assert _index_valid(live, "t_v") == [(True, True)]
    rows = history(run_cli, live.url)
    assert len(rows) == 1 and rows[0]["status"] == "applied", rows
    assert "concurrently" in rows[0]["sql"].lower(), rows[0]["sql"]
    assert fingerprint(live.url) == p.to_fp


def test_invalid_leftover_index_is_not_taken_for_the_planned_one(online_plan, run_cli):
    live, path = online_plan
    # What a failed or cancelled CREATE INDEX CONCURRENTLY leaves behind.
    live.execute(
        "create index t_v on public.t (v);"
        "update pg_index set indisvalid = false where indexrelid = 'public.t_v'::regclass;"
    )
    assert _index_valid(live, "t_v") == [(False, True)]
    r = run_cli("apply", str(path), "--live", live.url, "--online")
    # Either refuse (drift) or rebuild the index: never call an unusable index "applied".
    assert r.code != 0 or _index_valid(live, "t_v") == [(True, True)], (r.out, r.err)


# --- apply --auto -----------------------------------------------------------------------------

AUTO_BEFORE = "create table public.t (id int primary key, a text, dropme int);"
AUTO_AFTER = "create table public.t (id int primary key, a text, added int);"


def test_apply_auto_refuses_deletes_data_unless_allowed(make_db, run_cli, tmp_path):
    live = make_db(AUTO_BEFORE + "insert into public.t values (1, 'a', 7);")
    after = write_dir(tmp_path / "after", AUTO_AFTER)
    dump = pg_dump_schema(live.url)
    args = ["apply", "--auto", "--live", live.url, "--desired", str(after)]
    r = run_cli(*args, "--allow-hazard", "BLOCKS_WRITES", "--allow-hazard", "BLOCKS_READS")
    assert r.code == 1, (r.out, r.err)
    assert "DELETES_DATA" in r.err and "live is untouched" in r.err
    assert pg_dump_schema(live.url) == dump
    assert live.query("select dropme from public.t") == [(7,)]

    # 'all' means every hazard but DELETES_DATA, here as in approve.
    r = run_cli(*args, "--allow-hazard", "all")
    assert r.code == 1, (r.out, r.err)
    assert "hazards not allowed: DELETES_DATA" in r.err and "live is untouched" in r.err
    assert pg_dump_schema(live.url) == dump
    assert live.query("select dropme from public.t") == [(7,)]

    r = run_cli(*args, "--allow-hazard", "all,DELETES_DATA")
    assert r.code == 0, (r.out, r.err)
    assert "applied" in r.out and "verified" in r.out
    assert columns(live) == ["id", "a", "added"]
    rows = history(run_cli, live.url)
    assert len(rows) == 1 and rows[0]["plan_kind"] == "auto" and rows[0]["status"] == "applied"
    assert rows[0]["approved_by"] == "apply --auto"

    r = run_cli(*args, "--allow-hazard", "all")
    assert r.code == 0, (r.out, r.err)
    assert "nothing to do" in r.out
    assert len(history(run_cli, live.url)) == 1


def test_failed_online_unique_build_leaves_no_invalid_index(make_db, run_cli, tmp_path):
    # The rehearsal clone has no rows, so a UNIQUE index over duplicate live data only fails
    # on live, in CREATE UNIQUE INDEX CONCURRENTLY, after the transaction has committed.
    before = "create table public.t (id int primary key, v int);"
    after = write_dir(tmp_path / "after", before + "\ncreate unique index t_v_key on public.t (v);")
    live = make_db(before + "insert into public.t select g, g % 7 from generate_series(1, 100) g;")
    path = tmp_path / "plans" / "uniq.sql"
    r = run_cli("plan", "--live", live.url, "--desired", str(after), "-o", str(path))
    assert r.code == 0, (r.out, r.err)
    approve(run_cli, path)
    r = run_cli("apply", str(path), "--live", live.url, "--online")
    assert r.code == 1, (r.out, r.err)
    assert "t_v_key" in r.err or "duplicate" in r.err.lower(), r.err
    # The failed concurrent build's INVALID index was dropped rather than left for every
    # write to maintain; the table itself is untouched.
    assert _index_valid(live, "t_v_key") == []
    assert live.query("select count(*) from public.t") == [(100,)]
