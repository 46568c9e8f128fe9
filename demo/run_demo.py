"""`make demo`: the whole story on an embedded PostgreSQL, from a fresh clone.

live is created from an older version of the example schema (demo/live_v1.sql); then
check shows the drift (exit 2) -> plan (rehearsed, VERIFIED) -> approve -> apply ->
check is in sync (exit 0) -> apply again says "already applied" -> history."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import psycopg2
from psycopg2 import sql

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".demo"
PLANS = WORK / "plans"
BIN = Path(sys.executable).parent / "diffcheck"


def banner(text: str) -> None:
    """A visible step header."""
    print(f"\n\033[1m==> {text}\033[0m" if sys.stdout.isatty() else f"\n==> {text}", flush=True)


def run(args: list[str], env: dict[str, str], expect: int) -> None:
    """Run a diffcheck command as a user would, and insist on its exit code."""
    print("$ diffcheck " + " ".join(args), flush=True)
    code = subprocess.call([str(BIN), *args], cwd=ROOT, env=env)
    print(f"(exit {code})", flush=True)
    if code != expect:
        sys.exit(f"demo failed: expected exit {expect}, got {code}")


def main() -> None:
    """Run the demo."""
    from diffcheck import dsn
    from diffcheck.scratch import embedded_url

    banner("starting an embedded PostgreSQL")
    shutil.rmtree(PLANS, ignore_errors=True)
    admin = embedded_url(str(WORK / "pgdata"))
    live = dsn.with_dbname(admin, "trading_live")
    with contextlib.closing(psycopg2.connect(admin)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("select version()")
            print((cur.fetchone() or [""])[0])
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier("trading_live")))
            cur.execute(sql.SQL("create database {}").format(sql.Identifier("trading_live")))
    with contextlib.closing(psycopg2.connect(live)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute((ROOT / "demo" / "live_v1.sql").read_text())
    print("live: trading_live, built from demo/live_v1.sql (last quarter's schema)")

    env = dict(os.environ, DIFFCHECK_LIVE_URL=live, NO_COLOR="1")
    plan = str(PLANS / "release.sql")

    banner("1. CI gate: does live match schema/?  (expect exit 2: drift)")
    run(["check"], env, 2)
    banner("2. DBA review: write a rehearsed plan with hazards and a rollback")
    run(["plan", "-o", plan], env, 0)
    banner("3. approve the plan, naming each hazard the DBA accepts, signed with an SSH key")
    hazards = sorted(_plan_hazards(Path(plan)))
    allow = [a for code in hazards for a in ("--allow-hazard", code)]
    key, signers = _throwaway_key()
    run(["approve", plan, "--by", "demo-dba", "--key", str(key), *allow], env, 0)
    banner("4. pipeline: verify the signature, apply (lock, one transaction, verify, history)")
    run(["apply", plan, "--allowed-signers", str(signers)], env, 0)
    banner("5. CI gate again: in sync  (expect exit 0)")
    run(["check"], env, 0)
    banner("6. re-running the deploy is a no-op")
    run(["apply", plan, "--allowed-signers", str(signers)], env, 0)
    banner("7. history")
    run(["history"], env, 0)
    print("\ndemo finished: drift found, planned, approved, applied, verified, in sync.")


def _throwaway_key() -> tuple[Path, Path]:
    """A fresh ed25519 key for the demo's DBA and an allowed-signers file naming it."""
    keys = WORK / "keys"
    shutil.rmtree(keys, ignore_errors=True)
    keys.mkdir(parents=True)
    key = keys / "demo-dba"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "demo-dba", "-f", str(key)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    public = " ".join((keys / "demo-dba.pub").read_text().split()[:2])
    signers = keys / "allowed_signers"
    signers.write_text(f'demo-dba@example.com namespaces="diffcheck" {public}\n')
    print(f"signing key: {key}; allowed signers: {signers}")
    return key, signers


def _plan_hazards(path: Path) -> set[str]:
    from diffcheck.plan import load

    return load(path).hazard_codes()


if __name__ == "__main__":
    main()
