#!/usr/bin/env python3
"""Validate the data-driven schema-diff cases in tests/cases/.

For every case directory ``<class>__<name>/`` this script:

1. checks the layout (before.sql + after.sql present, optional case.toml is
   well-formed, no psql meta-commands / COPY in the SQL files);
2. creates two fresh databases (prefix ``dc_casecheck_``);
3. loads before.sql and after.sql through psycopg2, one ``cursor.execute``
   per file (exactly how the test harness loads them);
4. runs ``pg_dump --schema-only`` on both databases and asserts the dumps
   differ (after stripping the random ``\\restrict`` / ``\\unrestrict`` lines
   that pg_dump >= 15.14 emits);
5. drops both databases -- always, even on failure or Ctrl-C.

With ``--psql`` every file is additionally loaded with
``psql -X -v ON_ERROR_STOP=1 -q -f FILE`` into a third database and its dump
must equal the psycopg2-loaded dump.

Usage:
    .venv/bin/python tests/cases/validate_cases.py [--jobs N] [--psql] [-k SUBSTR ...]
    .venv/bin/python tests/cases/validate_cases.py --cleanup   # drop leftover dc_casecheck_* dbs

DSN: $DIFFCHECK_TEST_DSN, default postgresql://postgres@127.0.0.1:55432/postgres
Exit status is 0 only when every selected case passes.
"""

from __future__ import annotations

import argparse
import atexit
import concurrent.futures
import difflib
import os
import re
import signal
import subprocess
import sys
import threading
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn, parse_dsn

CASES_DIR = Path(__file__).resolve().parent
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:55432/postgres"
DB_PREFIX = "dc_casecheck_"
CASE_NAME_RE = re.compile(r"^([a-z][a-z0-9_]*?)__([a-z0-9][a-z0-9_]*)$")
ALLOWED_TOML_KEYS = {"expect", "reason"}
ALLOWED_EXPECT = {"converge", "refuse"}
MIN_LINES, MAX_LINES = 5, 60
# pg_dump >= 15.14 / 16.10 / 17.6 wraps its output in \restrict KEY ... \unrestrict KEY
# with a random KEY, so two dumps of identical schemas never compare equal verbatim.
RESTRICT_RE = re.compile(r"^\\(un)?restrict\s+\S+\s*$")
PSQL_META_RE = re.compile(r"^\s*\\", re.MULTILINE)
COPY_RE = re.compile(r"^\s*COPY\s", re.IGNORECASE | re.MULTILINE)

_live_dbs: set[str] = set()
_live_lock = threading.Lock()
_db_counter = 0


@dataclass
class Result:
    name: str
    klass: str
    expect: str = "converge"
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def admin_dsn() -> str:
    return os.environ.get("DIFFCHECK_TEST_DSN", DEFAULT_DSN)


def db_dsn(dbname: str) -> str:
    return make_dsn(admin_dsn(), dbname=dbname)


def admin_connect():
    conn = psycopg2.connect(admin_dsn())
    conn.autocommit = True
    return conn


def new_db_name(tag: str) -> str:
    global _db_counter
    with _live_lock:
        _db_counter += 1
        n = _db_counter
    name = f"{DB_PREFIX}{os.getpid()}_{n}_{tag}"
    return name[:63]


def create_db(name: str) -> None:
    with _live_lock:
        _live_dbs.add(name)
    conn = admin_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    finally:
        conn.close()


def drop_db(name: str) -> None:
    conn = admin_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    finally:
        conn.close()
    with _live_lock:
        _live_dbs.discard(name)


def drop_all_live() -> None:
    with _live_lock:
        names = sorted(_live_dbs)
    for name in names:
        try:
            drop_db(name)
        except Exception as exc:  # pragma: no cover - best effort cleanup
            print(f"WARNING: could not drop database {name}: {exc}", file=sys.stderr)


def cleanup_all_prefixed() -> int:
    conn = admin_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                (DB_PREFIX.replace("_", r"\_") + "%",),
            )
            names = [r[0] for r in cur.fetchall()]
    finally:
        conn.close()
    for name in names:
        drop_db(name)
        print(f"dropped {name}")
    return len(names)


def load_psycopg2(dbname: str, text: str) -> None:
    conn = psycopg2.connect(db_dsn(dbname))
    try:
        with conn.cursor() as cur:
            cur.execute(text)
        conn.commit()
    finally:
        conn.close()


def load_psql(dbname: str, path: Path) -> None:
    proc = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-q", "-d", db_dsn(dbname), "-f", str(path)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"psql failed (rc={proc.returncode}): {proc.stderr.strip()}")


def dump_schema(dbname: str) -> str:
    proc = subprocess.run(
        ["pg_dump", "--schema-only", "-d", db_dsn(dbname)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {proc.stderr.strip()}")
    lines = [ln for ln in proc.stdout.splitlines() if not RESTRICT_RE.match(ln)]
    return "\n".join(lines) + "\n"


def read_case_toml(path: Path, res: Result) -> None:
    if not path.exists():
        return
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        res.errors.append(f"case.toml: invalid TOML: {exc}")
        return
    unknown = set(data) - ALLOWED_TOML_KEYS
    if unknown:
        res.warnings.append(f"case.toml: unknown keys {sorted(unknown)}")
    expect = data.get("expect", "converge")
    if expect not in ALLOWED_EXPECT:
        res.errors.append(f"case.toml: expect must be one of {sorted(ALLOWED_EXPECT)}, got {expect!r}")
    res.expect = expect
    if expect == "refuse" and not str(data.get("reason", "")).strip():
        res.errors.append('case.toml: expect = "refuse" needs a non-empty reason')


def lint_sql(label: str, text: str, res: Result) -> None:
    if PSQL_META_RE.search(text):
        res.errors.append(f"{label}: contains a psql meta-command (line starting with '\\')")
    if COPY_RE.search(text):
        res.errors.append(f"{label}: contains COPY")
    n = len(text.splitlines())
    if not MIN_LINES <= n <= MAX_LINES:
        res.warnings.append(f"{label}: {n} lines (expected {MIN_LINES}-{MAX_LINES})")


def check_case(case_dir: Path, use_psql: bool, show_diff: bool) -> Result:
    m = CASE_NAME_RE.match(case_dir.name)
    klass = m.group(1) if m else "?"
    res = Result(case_dir.name, klass)
    if not m:
        res.errors.append("directory name must be <class>__<name> (lowercase, digits, _)")
    before_p, after_p = case_dir / "before.sql", case_dir / "after.sql"
    for p in (before_p, after_p):
        if not p.is_file():
            res.errors.append(f"missing {p.name}")
    read_case_toml(case_dir / "case.toml", res)
    if res.errors:
        return res
    before, after = before_p.read_text(), after_p.read_text()
    lint_sql("before.sql", before, res)
    lint_sql("after.sql", after, res)

    dbs: list[str] = []
    try:
        dumps: dict[str, str] = {}
        for tag, text in (("b", before), ("a", after)):
            db = new_db_name(tag)
            dbs.append(db)
            create_db(db)
            try:
                load_psycopg2(db, text)
            except psycopg2.Error as exc:
                msg = (exc.pgerror or str(exc)).strip()
                res.errors.append(f"{'before' if tag == 'b' else 'after'}.sql failed via psycopg2: {msg}")
                continue
            dumps[tag] = dump_schema(db)
        if len(dumps) == 2 and dumps["b"] == dumps["a"]:
            res.errors.append("pg_dump -s of before and after are IDENTICAL")
        if use_psql:
            for tag, path in (("b", before_p), ("a", after_p)):
                if tag not in dumps:
                    continue
                db = new_db_name(tag + "psql")
                dbs.append(db)
                create_db(db)
                try:
                    load_psql(db, path)
                except RuntimeError as exc:
                    res.errors.append(f"{path.name}: {exc}")
                    continue
                d = dump_schema(db)
                if d != dumps[tag]:
                    diff = "".join(
                        difflib.unified_diff(
                            dumps[tag].splitlines(True), d.splitlines(True), "psycopg2", "psql", n=1
                        )
                    )
                    res.errors.append(f"{path.name}: psql-loaded dump differs from psycopg2-loaded\n{diff}")
        if show_diff and len(dumps) == 2:
            diff = "".join(
                difflib.unified_diff(
                    dumps["b"].splitlines(True), dumps["a"].splitlines(True), "before", "after", n=0
                )
            )
            res.warnings.append("dump diff:\n" + diff)
    except Exception as exc:
        res.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        for db in dbs:
            try:
                drop_db(db)
            except Exception as exc:
                res.errors.append(f"could not drop {db}: {exc}")
    return res


def discover(filters: list[str]) -> list[Path]:
    dirs = sorted(p for p in CASES_DIR.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    if filters:
        dirs = [p for p in dirs if any(f in p.name for f in filters)]
    return dirs


def print_table(results: list[Result]) -> None:
    total, refuse, fail = Counter(), Counter(), Counter()
    for r in results:
        total[r.klass] += 1
        if r.expect == "refuse":
            refuse[r.klass] += 1
        if not r.ok:
            fail[r.klass] += 1
    w = max([len("class")] + [len(k) for k in total])
    print(f"\n{'class':<{w}}  {'cases':>5}  {'refuse':>6}  {'failed':>6}")
    print(f"{'-' * w}  {'-' * 5}  {'-' * 6}  {'-' * 6}")
    for k in sorted(total):
        print(f"{k:<{w}}  {total[k]:>5}  {refuse[k]:>6}  {fail[k]:>6}")
    print(f"{'-' * w}  {'-' * 5}  {'-' * 6}  {'-' * 6}")
    print(
        f"{'TOTAL':<{w}}  {sum(total.values()):>5}  {sum(refuse.values()):>6}  {sum(fail.values()):>6}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", dest="filters", action="append", default=[], help="only cases containing SUBSTR")
    ap.add_argument("--jobs", "-j", type=int, default=4, help="parallel cases (default 4)")
    ap.add_argument("--psql", action="store_true", help="also load every file with psql and compare")
    ap.add_argument("--show-diff", action="store_true", help="print the before/after dump diff per case")
    ap.add_argument("--cleanup", action="store_true", help=f"drop every {DB_PREFIX}* database and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="print warnings too")
    args = ap.parse_args(argv)

    # Make sure databases are dropped on SIGTERM/SIGHUP too (finally blocks + atexit).
    def _sig(signum, _frame):
        raise SystemExit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _sig)
    atexit.register(drop_all_live)

    try:
        parse_dsn(admin_dsn())
    except psycopg2.ProgrammingError as exc:
        print(f"bad DSN {admin_dsn()!r}: {exc}", file=sys.stderr)
        return 2

    if args.cleanup:
        n = cleanup_all_prefixed()
        print(f"dropped {n} database(s)")
        return 0

    dirs = discover(args.filters)
    if not dirs:
        print("no cases found", file=sys.stderr)
        return 2

    results: list[Result] = []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        futs = {pool.submit(check_case, d, args.psql, args.show_diff): d for d in dirs}
        for fut in concurrent.futures.as_completed(futs):
            r = fut.result()
            results.append(r)
            mark = "ok  " if r.ok else "FAIL"
            if not r.ok or args.verbose:
                print(f"{mark} {r.name}", flush=True)
    except BaseException:
        # Ctrl-C / SIGTERM: don't start queued cases; running ones drop their own dbs.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        drop_all_live()

    results.sort(key=lambda r: r.name)
    print_table(results)

    refuse = [r.name for r in results if r.expect == "refuse"]
    if refuse:
        print("\ncases expected to be refused:")
        for n in refuse:
            print(f"  {n}")

    if args.verbose:
        warned = [r for r in results if r.warnings]
        if warned:
            print("\nwarnings:")
            for r in warned:
                for w in r.warnings:
                    print(f"  {r.name}: {w}")

    failed = [r for r in results if not r.ok]
    if failed:
        print(f"\n{len(failed)} FAILED case(s):")
        for r in failed:
            for e in r.errors:
                print(f"  {r.name}: {e}")
        return 1
    print(f"\nall {len(results)} cases passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
