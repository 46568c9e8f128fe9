"""A command's working set: the live connection, the scratch server, and every scratch
database built along the way, all released in one ``finally``.

This is pg-schema-diff's temp-database factory: sources become inspectable databases here,
and diffs between two of them go through :func:`Workspace.diff`."""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType

from . import builder, engine, normalize, pg, scratch, stable
from . import dsn as dsnlib
from .config import Settings
from .errors import ConfigError, DiffcheckError, LockError
from .scratch import ScratchDB, ScratchServer, server_for
from .sources import DatabaseSource, Source

log = logging.getLogger(__name__)
# PostgreSQL's built-in search_path: what unqualified names in user code resolved against
# when the dumped database was built, unless its owner changed the setting.
DEFAULT_PATH = '"$user", public'

Progress = Callable[[str], None]


@dataclass
class Side:
    """A resolved side of a comparison: a database URL and whether diffcheck owns it."""

    url: str
    label: str
    scratch: bool  # True: a scratch database we may write to (usable as a normalization context)


def _noop(_: str) -> None:
    return None


class Workspace:
    """Owns scratch databases for the duration of a command."""

    def __init__(
        self, settings: Settings, progress: Progress | None = None, *, lock_retries: int = 0
    ) -> None:
        self.settings = settings
        self.progress = progress or _noop
        self.lock_retries = lock_retries  # inspections of live retried after a lock timeout
        self.filters = engine.Filters(
            settings.include_schemas, settings.exclude_schemas, settings.exclude
        )
        self._server: ScratchServer | None = None
        self._owned: list[ScratchDB] = []
        self._live_major: int | None = None
        self._noted: set[str] = set()  # notes on containment said so far (once each)
        # A built scratch database's URL -> the URL its build ran with (the builder's):
        # expression round trips there run the schema's code too (an index expression
        # folds its immutable calls), so they run as the builder as well.
        self._build_urls: dict[str, str] = {}
        self._builders: dict[str, scratch.Builder] = {}  # its builder role, by scratch URL

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Drop every scratch database this workspace created."""
        while self._owned:
            db = self._owned.pop()
            try:
                assert self._server is not None
                self._server.drop(db.name)
            except Exception as exc:  # keep dropping the rest; report, never mask
                log.warning("could not drop scratch database %s: %s", db.name, exc)

    # -- live ----------------------------------------------------------------------------------
    def live_url(self) -> str:
        """The live URL from settings, or a clear error naming where it may come from."""
        if not self.settings.live:
            raise ConfigError(
                "no live database: pass --live URL or set DIFFCHECK_LIVE_URL or DATABASE_URL"
            )
        return dsnlib.normalize(self.settings.live)

    def live_major(self) -> int:
        """Live's major version (connecting once, unless :meth:`connect_live` has)."""
        if self._live_major is None:
            self.connect_live().close()
        assert self._live_major is not None
        return self._live_major

    def connect_live(self) -> pg.Connection:
        """A new autocommit connection to live, noting its major version on the way: a
        command that inspects live anyway needs no extra connection to learn it (each costs
        a TLS and SCRAM handshake against a remote server)."""
        conn = pg.connect(self.live_url(), autocommit=True, role="live")
        self._live_major = pg.server_major(conn)
        return conn

    def server_major(self) -> int:
        """The scratch server's major version."""
        return self.server().major

    def desired_major(self) -> int:
        """The major version a desired build runs on, which keys the desired-side cache.

        With the default scratch server, live's own, that is live's major, known without
        contacting the scratch server: a cache hit then opens no connection but live's.
        An explicit or embedded scratch server is asked (and checked) as before, so that a
        version mismatch is refused whether or not the cache holds an entry."""
        if self._server is None and not self.settings.scratch_url and self.settings.live:
            return self.live_major()
        return self.server_major()

    # -- scratch -------------------------------------------------------------------------------
    def server(self, reference_url: str | None = None) -> ScratchServer:
        """The scratch server, checked once (CREATEDB, version, not-live)."""
        if self._server is None:
            live = self.settings.live and dsnlib.normalize(self.settings.live)
            server = server_for(self.settings.scratch_url, live or reference_url)
            major = None
            if live:
                major = self.live_major()
            elif reference_url:
                with pg.connection(reference_url, autocommit=True) as conn:
                    major = pg.server_major(conn)
            server.check(major, self.settings.allow_version_mismatch)
            self._server = server
        return self._server

    def new_scratch(self) -> ScratchDB:
        """An empty scratch database owned by this workspace."""
        db = self.server().create()
        self._owned.append(db)
        return db

    def build(self, source: Source) -> Side:
        """Resolve a source to a database: in place for URLs, built in scratch otherwise."""
        if isinstance(source, DatabaseSource):
            return Side(source.url, source.label, scratch=False)
        db = self.new_scratch()
        started = time.monotonic()
        # Schema files are untrusted: they run as the database's builder role where the
        # server allows one (see builder.py), so no statement acts outside the database.
        with builder.contained(
            self.server(),
            db,
            trust=self.settings.trust_schema_sql,
            quiet=self.settings.quiet,
            noted=self._noted,
        ) as how:
            source.materialize(how.conn, how.url, self.progress, guard=how.guard)
        self._build_urls[db.url] = how.url
        if how.made is not None:
            self._builders[db.url] = how.made
        log.info("built %s in %.2fs (%s)", source.label, time.monotonic() - started, how.mode)
        return Side(db.url, source.label, scratch=True)

    def dump(self, url: str) -> str:
        """``pg_dump --schema-only`` text of a database (with privileges if compared)."""
        with pg.connection(url, autocommit=True) as conn:
            major = pg.server_major(conn)
        script = pg.pg_dump_schema(
            url,
            major,
            privileges=self.settings.with_privileges,
            lock_timeout=self.settings.lock_timeout,
        )
        made = self._builders.get(url)
        if made is not None and made.role in script:
            script = builder.as_admin_dump(script, made.role, made.admin)
        return script

    def restore(self, script: str, label: str, *, restricted: bool = False) -> Side:
        """A new scratch database loaded from a pg_dump script (``restricted``: one read from
        a file and checked, see pg.psql_restore).

        A dump whose restore runs user code that names objects unqualified (an SQL function
        in an index expression) fails under pg_dump's empty search_path although the
        database it came from is fine; it is then restored once more, into a fresh
        database, under PostgreSQL's default search_path (see stable.with_search_path)."""
        db = self.new_scratch()
        try:
            pg.psql_restore(db.url, self.server().major, script, restricted=restricted)
        except DiffcheckError as first:
            self._drop_owned(db)
            log.info(
                "restore of %s failed (%s); retrying with the default search_path", label, first
            )
            db = self.new_scratch()
            try:
                pg.psql_restore(
                    db.url,
                    self.server().major,
                    stable.with_search_path(script, DEFAULT_PATH),
                    restricted=restricted,
                )
            except DiffcheckError:
                raise first from None
        return Side(db.url, label, scratch=True)

    def _drop_owned(self, db: ScratchDB) -> None:
        self._owned.remove(db)
        self.server().drop(db.name)

    def clone(self, url: str, label: str, script: str | None = None) -> Side:
        """A scratch copy of a database's schema via ``pg_dump --schema-only`` and restore:
        no data, no exclusive access to the original. ``script``, a dump of it the caller
        already has (a plan's sidecar), saves the pg_dump: seconds at 5,000 tables."""
        self.progress(f"cloning schema of {label}")
        return self.restore(self.dump(url) if script is None else script, f"clone of {label}")

    def copy_sequence_positions(self, source: Side, clone: Side) -> None:
        """Set the clone's sequences where ``source``'s stand (see bs_sequences.copy_states).

        Best effort: a sequence redefined on live since its dump was taken cannot take its
        position; the rehearsal then runs with the dump's, as it did before."""
        import psycopg2

        from .fixups.bs_sequences import copy_states

        try:
            with pg.connection(source.url, autocommit=True, role=source.label) as src:
                with pg.connection(clone.url, autocommit=True, role=clone.label) as dst:
                    with src.cursor() as s, dst.cursor() as d:
                        # Reading a sequence locks it: bounded like inspection's reads.
                        pg.set_settings(s, [self._lock_timeout()], local=False)
                        n = copy_states(s, d)
        except psycopg2.Error as exc:
            log.warning(
                "sequence positions of %s not copied to its clone: %s",
                source.label,
                (exc.diag.message_primary or str(exc)).strip(),
            )
            return
        log.info("copied %d sequence position(s) of %s to its clone", n, source.label)

    def discard(self, side: Side) -> None:
        """Drop a scratch side now rather than at the end of the command."""
        for db in list(self._owned):
            if db.url == side.url:
                self._drop_owned(db)

    # -- comparing -----------------------------------------------------------------------------
    def inspect(self, side: Side, conn: pg.Connection | None = None) -> engine.Inspection:
        """Inspect one side read-only; ``conn``, an open autocommit connection to it, serves
        the first attempt and is closed in any case.

        Every inspection waits at most --lock-timeout for a table lock. A timeout fails at
        once, naming who holds the lock: check, diff and plan are read-only and waited a
        minute behind a LOCK TABLE when they retried. Only a Workspace made with
        ``lock_retries`` (apply's pre-checks, like its transaction) retries with backoff."""
        self.progress(f"inspecting {side.label}")
        backoff = 1.0
        attempts = 1 if side.scratch else self.lock_retries + 1
        for attempt in range(1, attempts + 1):
            given, conn = conn, None  # the caller's connection serves one attempt only
            try:
                with contextlib.closing(given or self._open(side)) as c:
                    return engine.inspect(
                        c,
                        side.label,
                        self.filters,
                        lock_timeout=self.settings.lock_timeout,
                        connect=self._helper(side),
                    )
            except LockError as exc:
                if attempts == 1:
                    raise LockError(f"{exc.message}; retry later or raise --lock-timeout") from None
                if attempt == attempts:
                    raise LockError(
                        f"gave up after {attempts} attempt(s): {exc.message}",
                        hint="another session holds a lock; retry later or raise "
                        "--lock-timeout/--retries",
                    ) from None
                self.progress(f"attempt {attempt}: {exc.message}; retrying in {backoff:.0f}s")
                time.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
        raise AssertionError("unreachable")

    def _lock_timeout(self) -> tuple[str, str]:
        """The lock_timeout setting for a session, from --lock-timeout."""
        return ("lock_timeout", f"{max(1, int(self.settings.lock_timeout * 1000))}ms")

    @staticmethod
    def _open(side: Side) -> pg.Connection:
        return pg.connect(side.url, autocommit=True, role=side.label)

    @staticmethod
    def _helper(side: Side) -> Callable[[], pg.Connection]:
        """Opens one more connection to ``side`` (for inspecting over several)."""
        return functools.partial(pg.connect, side.url, role=side.label)

    def inspect_pair(self, a: Side, b: Side) -> tuple[engine.Inspection, engine.Inspection]:
        """Inspect two sides concurrently: inspection is mostly waiting on the servers."""
        with ThreadPoolExecutor(max_workers=2) as pool:
            fa = pool.submit(self.inspect, a)
            fb = pool.submit(self.inspect, b)
            return fa.result(), fb.result()

    def diff(self, a: Side, b: Side) -> list[str]:
        """Checked statements turning side ``a`` into side ``b``."""
        ia, ib = self.inspect_pair(a, b)
        return self.diff_inspections(ia, ib, context=b if b.scratch else None)

    def diff_inspections(
        self, ia: engine.Inspection, ib: engine.Inspection, context: Side | None
    ) -> list[str]:
        """Diff two inspections, round-tripping differing expressions in ``context``."""
        privileges = self.settings.with_privileges
        statements = engine.raw_diff(ia, ib, privileges=privileges)
        if statements and context is not None:
            url = self._build_urls.get(context.url, context.url)
            with pg.connection(url, role="scratch database") as conn:
                with conn.cursor() as cur:
                    pg.set_settings(cur, [self._lock_timeout()], local=False)
                conn.commit()
                if normalize.normalize_pair(ia.inspector, ib.inspector, conn):
                    statements = engine.raw_diff(ia, ib, privileges=privileges)
        return engine.split_checked(statements)
