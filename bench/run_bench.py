"""Benchmarks: median times of diffcheck's checks against the raw migra floor.

For each size N (synthetic trading schemas from bench/generate.py) and each real schema in
../shared/corpus/real/, measured on one server in one run:

- cold check: ``diffcheck check --no-cache`` (build scratch, inspect both, diff, drop);
- warm check: ``diffcheck check`` with the desired inspection cached, of live against its
  own schema (the CI gate's everyday case: in sync, so only live is inspected);
- cold / warm in-process: the same two commands run inside the bench process, without the
  new interpreter and its imports, which the raw and floor columns (in process) never pay;
- plan: ``diffcheck plan`` with rehearsal and rollback;
- raw: migra's own steps (create scratch, load, inspect both, diff, drop), stock schemainspect;
- floor: stock inspection of live + loading a pickled desired inspection + the diff, for
  the same in-sync pair as the warm check;
- inspect: diffcheck's own inspection of live (schemainspect with the query fixes, plus
  diffcheck's catalog facts), in process, over helper connections sharing one snapshot as
  ``check`` does; "inspect 1 conn" the same on one connection;
- get_inspector: schemainspect's get_inspector alone with diffcheck's query fixes, and
  stock: as released (the issue's "one get_inspector");
- peak memory (max RSS) of the cold check process.

Prints a Markdown table; ``--write`` also stores it in bench/RESULTS.md."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import pickle
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import migra.changes
import migra.util
import psycopg2
import psycopg2.extras
from psycopg2 import sql
from schemainspect.pg.obj import InspectedFunction

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

# migra and schemainspect as released, captured before diffcheck.engine (imported by the
# inspect measurements) patches them in this process: the raw and floor columns must stay
# what a user of bare migra gets, for every row, not only the first.
_STOCK = {
    (migra.util, "differences"): migra.util.differences,
    (migra.changes, "differences"): migra.changes.differences,
    (InspectedFunction, "__eq__"): InspectedFunction.__eq__,
}


@contextlib.contextmanager
def _stock_migra():
    """migra's differ and schemainspect's function equality as released, for the body."""
    patched = {(owner, name): getattr(owner, name) for owner, name in _STOCK}
    for (owner, name), value in _STOCK.items():
        setattr(owner, name, value)
    try:
        yield
    finally:
        for (owner, name), value in patched.items():
            setattr(owner, name, value)


def _admin(url: str) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def create_db(admin_url: str, sql_text: str) -> str:
    """A fresh database loaded with ``sql_text``; returns its URL."""
    from diffcheck import dsn
    from diffcheck.loader import load_text

    name = "bench_" + secrets.token_hex(4)
    with contextlib.closing(_admin(admin_url)) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = dsn.with_dbname(admin_url, name)
    with contextlib.closing(_admin(url)) as conn:
        load_text(conn, sql_text, "bench.sql")  # bounded transactions: loads any size
    return url


def drop_db(admin_url: str, url: str) -> None:
    """Drop a bench database."""
    from diffcheck import dsn

    with contextlib.closing(_admin(admin_url)) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(dsn.dbname(url))))


def timed(fn: Callable[[], object], runs: int) -> float:
    """Median wall time of ``runs`` calls."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cli(args: list[str], env: dict[str, str]) -> tuple[int, int]:
    """Run diffcheck as a child; (exit code, peak RSS of that child alone in MB).

    Measured by ``/usr/bin/time`` when present: a child forked from this (large) process
    starts with this process's RSS as its high-water mark, so its own rusage overstates it;
    time's child is forked from time, which is small."""
    command = [sys.executable, "-m", "diffcheck", *args]
    timer = "/usr/bin/time"
    if not os.path.exists(timer):
        code = subprocess.call(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        return code, 0
    proc = subprocess.run([timer, "-f", "%M", *command], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    lines = proc.stderr.strip().splitlines()
    peak_kb = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return proc.returncode, peak_kb // 1024


def in_process(args: list[str], env: dict[str, str]) -> float:
    """Wall time of the same command run inside this process: a check's own work, without
    the new interpreter and its imports (about 0.4 s, which the raw and floor columns never
    pay). The garbage a run leaves (a process would exit instead) is collected afterwards,
    outside the time, so that it does not slow the next run."""
    from diffcheck import cli as dc_cli
    from diffcheck import gcpause

    saved = dict(os.environ)
    os.environ.update(env)
    gcpause.freeze_on_resume()  # as the diffcheck command does
    try:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), \
                contextlib.redirect_stderr(sink):
            started = time.perf_counter()
            dc_cli.main(args)
            return time.perf_counter() - started
    finally:
        gcpause.freeze_on_resume(False)
        gc.unfreeze()
        gc.collect()
        os.environ.clear()
        os.environ.update(saved)


def raw_migra(admin_url: str, live_url: str, sql_text: str) -> None:
    """migra's steps with stock schemainspect: scratch, load, inspect both, diff, drop."""
    from migra import Migration
    from schemainspect import get_inspector

    scratch = create_db(admin_url, sql_text)
    try:
        a, b = _stock_inspect(live_url), _stock_inspect(scratch)
        with _stock_migra():
            m = Migration(a, b)
            m.set_safety(False)
            m.add_all_changes()
            _ = m.sql
    finally:
        drop_db(admin_url, scratch)
    del get_inspector


def _stock_inspect(url: str) -> object:
    from schemainspect import get_inspector
    from schemainspect.pg import obj

    patched = obj.PostgreSQL.execute
    # diffcheck patches the inspection queries; the floor must use stock schemainspect.
    original = patched.__closure__[0].cell_contents if patched.__closure__ else patched
    obj.PostgreSQL.execute = original
    try:
        conn = psycopg2.connect(url, cursor_factory=psycopg2.extras.NamedTupleCursor)
        with contextlib.closing(conn), conn.cursor() as cur:
            return get_inspector(cur)
    finally:
        obj.PostgreSQL.execute = patched


def dc_inspect(url: str, shared: bool = True) -> None:
    """diffcheck's inspection of one database: what every check does to live (over helper
    connections sharing a snapshot when ``shared``, as ``check`` does; else one connection)."""
    import functools

    sys.path.insert(0, str(ROOT))
    from diffcheck import engine, gcpause, pg

    connect = functools.partial(pg.connect, url) if shared else None
    # As the diffcheck command runs it: what the inspection built is frozen, not walked by
    # the collector's next pass (see diffcheck.gcpause). Freed again on return.
    gcpause.freeze_on_resume()
    try:
        with pg.connection(url, role="bench database") as conn:
            engine.inspect(conn, "bench", engine.Filters(), connect=connect)
    finally:
        gcpause.freeze_on_resume(False)
        gc.unfreeze()


def si_inspect(url: str) -> None:
    """schemainspect's get_inspector with diffcheck's query fixes, on one connection: the
    issue's "one get_inspector", without diffcheck's own facts."""
    sys.path.insert(0, str(ROOT))
    from schemainspect import get_inspector

    from diffcheck import engine  # noqa: F401 - installs the query fixes

    conn = psycopg2.connect(url, cursor_factory=psycopg2.extras.NamedTupleCursor)
    with contextlib.closing(conn), conn.cursor() as cur:
        cur.execute("set jit = off")
        get_inspector(cur)


def floor(live_url: str, pickled: bytes) -> None:
    """Stock inspection of live + unpickling the desired inspection + the diff."""
    from migra import Migration

    a = _stock_inspect(live_url)
    b = pickle.loads(pickled)
    with _stock_migra():
        m = Migration(a, b)
        m.set_safety(False)
        m.add_all_changes()
        _ = m.sql


def bench_one(label: str, admin_url: str, live_sql: str, desired_sql: str, runs: int,
              skip: frozenset[str] = frozenset()) -> dict:
    """All measurements for one schema pair (but those in ``skip``: plan, raw, floor, stock)."""
    row: dict[str, object] = {"schema": label}
    live = create_db(admin_url, live_sql)
    tmp = Path(tempfile.mkdtemp(prefix="diffcheck-bench-"))
    desired = tmp / "schema.sql"
    desired.write_text(desired_sql)
    same = tmp / "same" / "schema.sql"  # live's own schema: the in-sync (warm) case
    same.parent.mkdir()
    same.write_text(live_sql)
    env = dict(os.environ, DIFFCHECK_CACHE_DIR=str(tmp / "cache"), NO_COLOR="1")
    try:
        with contextlib.closing(psycopg2.connect(live)) as conn, conn.cursor() as cur:
            cur.execute("select count(*) from pg_class c join pg_namespace n on "
                        "n.oid = c.relnamespace where relkind in ('r','p') and nspname not in "
                        "('pg_catalog','information_schema')")
            row["tables"] = (cur.fetchone() or [0])[0]
        base = ["check", "--live", live, "--desired", str(desired), "-q"]
        rss = [0]

        def cold() -> None:
            rss[0] = max(rss[0], cli([*base, "--no-cache"], env)[1])

        row["cold check s"] = timed(cold, runs)
        row["peak MB"] = rss[0]
        warm = ["check", "--live", live, "--desired", str(same), "-q"]
        cli(warm, env)  # fill the cache
        row["warm check s"] = timed(lambda: cli(warm, env), runs)
        row["cold in-process s"] = statistics.median(
            in_process([*base, "--no-cache"], env) for _ in range(runs))
        row["warm in-process s"] = statistics.median(in_process(warm, env) for _ in range(runs))
        plan_path = tmp / "plans" / "p.sql"
        if "plan" not in skip:
            row["plan s"] = timed(lambda: cli(["plan", "--live", live, "--desired", str(desired),
                                               "-o", str(plan_path), "-q"], env),
                                  max(1, runs // 2))
        if "raw" not in skip:
            row["raw migra s"] = timed(lambda: raw_migra(admin_url, live, desired_sql), runs)
        if "floor" not in skip:
            scratch = create_db(admin_url, live_sql)
            try:
                pickled = pickle.dumps(_without_cursor(_stock_inspect(scratch)))
            finally:
                drop_db(admin_url, scratch)
            row["floor s"] = timed(lambda: floor(live, pickled), runs)
        row["inspect s"] = timed(lambda: dc_inspect(live), runs)
        row["inspect 1 conn s"] = timed(lambda: dc_inspect(live, shared=False), runs)
        row["get_inspector s"] = timed(lambda: si_inspect(live), runs)
        if "stock" not in skip:
            row["stock get_inspector s"] = timed(lambda: _stock_inspect(live), runs)
        for kind, base_col, ratio in (("warm", "floor s", "floor"), ("cold", "raw migra s", "raw")):
            if base_col in row:
                row[f"{kind}/{ratio}"] = row[f"{kind} check s"] / row[base_col]  # type: ignore[operator]
                row[f"{kind}/{ratio} in-process"] = (
                    row[f"{kind} in-process s"] / row[base_col]  # type: ignore[operator]
                )
        row["ms/table (cold)"] = 1000 * row["cold check s"] / max(1, row["tables"])  # type: ignore[operator]
    finally:
        drop_db(admin_url, live)
        shutil.rmtree(tmp, ignore_errors=True)  # the schema copies and the cache directory
    return row


def _without_cursor(insp: object) -> object:
    insp.c = None  # type: ignore[attr-defined]
    insp.deps = [r._asdict() for r in insp.deps]  # type: ignore[attr-defined]
    return insp


def table(rows: list[dict]) -> str:
    """Rows as Markdown."""
    cols = ["schema", "tables", "cold check s", "warm check s", "cold in-process s",
            "warm in-process s", "plan s", "raw migra s", "floor s", "inspect s",
            "inspect 1 conn s", "get_inspector s", "stock get_inspector s", "warm/floor",
            "warm/floor in-process", "cold/raw", "cold/raw in-process", "ms/table (cold)",
            "peak MB"]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [f"{r[c]:.2f}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in cols]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    """Run the benchmarks."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", default=os.environ.get("DIFFCHECK_BENCH_DSN")
                    or os.environ.get("DIFFCHECK_TEST_DSN"),
                    help="admin URL of a server (default: a throwaway cluster)")
    ap.add_argument("--sizes", default="100,1000,5000,10000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--real", default="pagila,openstreetmap,danbooru,lago,musicbrainz,chado")
    ap.add_argument("--skip", default="",
                    help="comma-separated measurements to leave out: plan,raw,floor,stock "
                         "(for 10k tables, where they take most of an hour)")
    ap.add_argument("--write", action="store_true", help="write bench/RESULTS.md")
    args = ap.parse_args()
    stop = None
    url = args.url
    if not url:
        sys.path.insert(0, str(ROOT / "tests"))
        import pgserver

        url, stop = pgserver.start()
        pgserver.wait_ready(url)
    skip = frozenset(x for x in args.skip.split(",") if x)
    rows = []
    try:
        for n in [int(x) for x in args.sizes.split(",") if x]:
            print(f"synthetic N={n} ...", file=sys.stderr, flush=True)
            rows.append(bench_one(f"synthetic {n}", url, generate(n), generate(n, True),
                                  args.runs, skip))
            print(table(rows[-1:]), file=sys.stderr)
        for name in [x for x in args.real.split(",") if x]:
            print(f"{name} ...", file=sys.stderr, flush=True)
            text = (CORPUS / f"{name}.sql").read_text()
            rows.append(bench_one(name, url, text, text, args.runs, skip))
    finally:
        if stop:
            stop()
    result = table(rows)
    machine = (f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"{platform.platform()}")
    print(result)
    if args.write:
        (HERE / "RESULTS.md").write_text(
            "# Benchmark results\n\n"
            f"Machine: {machine}. Median of {args.runs} runs. Real schemas: live == desired "
            "(in-sync check); synthetic: live = N tables, desired = the changed variant.\n\n"
            + result + "\n")


if __name__ == "__main__":
    main()
