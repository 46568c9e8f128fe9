"""Catalog reads spread over several connections that share one snapshot.

An inspection is a few dozen independent catalog queries, plus the Python that turns their
rows into objects. On one connection they run one after another, and the server idles while
Python builds objects. Here the inspecting transaction exports its snapshot
(``pg_export_snapshot``) and helper connections import it, so the queries run side by side
and every one of them still sees the same catalog state as a single transaction would.

Used only where it pays: on a large database, with a way to open more connections. Anything
that fails while setting up (no free connection slot, a server that cannot export snapshots)
falls back to the serial inspection instead of failing it."""

from __future__ import annotations

import logging
import os
import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import psycopg2
import psycopg2.extensions

from .errors import DiffcheckError
from .pg import Connection

log = logging.getLogger(__name__)

T = TypeVar("T")

# Below this many user relations the setup (connections, snapshot import: ~10 ms each) costs
# about what the parallel reads save.
MIN_RELATIONS = 400

_COUNT_RELATIONS = "select count(*) from pg_catalog.pg_class where oid >= 16384"


def helpers() -> int:
    """Helper connections per inspection: the server's work spreads over them, while this
    process builds objects. At least three: a helper's backend idles while its thread turns
    rows into facts, and a third kept two cores busy (5,000 tables: 2.4 s with two helpers,
    2.25 s with three). Bounded, because a fleet check inspects many targets at once."""
    return max(3, min(4, os.cpu_count() or 2))


def worth_sharing(cur: Any) -> bool:
    """Whether the database behind ``cur`` is large enough for helper connections."""
    cur.execute(_COUNT_RELATIONS)
    row = cur.fetchone()
    return bool(row) and int(row[0]) >= MIN_RELATIONS


class SharedSnapshot:
    """Helper connections inside the snapshot of ``main``'s open REPEATABLE READ transaction.

    ``settings`` are (name, value) pairs each helper sets for its transaction only (JIT off,
    lock_timeout), like the main transaction. Jobs receive a cursor of their own; results
    and exceptions come back through futures."""

    def __init__(
        self,
        main: Connection,
        connect: Callable[[], Connection],
        helpers: int,
        settings: list[tuple[str, str]],
    ) -> None:
        self._main = main
        self._connect = connect
        self._helpers = helpers
        self._settings = settings
        self._conns: list[Connection] = []
        self._free: queue.Queue[Connection] = queue.Queue()
        self._pool: ThreadPoolExecutor | None = None

    def open(self) -> bool:
        """Export the snapshot and start the helpers; False (nothing left open) when that
        is not possible here: the caller then rolls the main transaction back (a refused
        export aborts it) and inspects serially."""
        try:
            with self._main.cursor() as cur:
                cur.execute("select pg_catalog.pg_export_snapshot()")
                snapshot_id = cur.fetchone()[0]
            for _ in range(self._helpers):
                conn = self._connect()
                self._conns.append(conn)
                conn.set_session(
                    isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ,
                    readonly=True,
                    autocommit=False,
                )
                with conn.cursor() as cur:
                    # Must be the transaction's first statement.
                    cur.execute("set transaction snapshot %s", (snapshot_id,))
                    for name, value in self._settings:
                        cur.execute("select pg_catalog.set_config(%s, %s, true)", (name, value))
                self._free.put(conn)
        except (psycopg2.Error, DiffcheckError) as exc:
            # Standbys before PostgreSQL 10, exhausted max_connections, poolers that refuse
            # snapshot import: the serial path reads the same catalogs, only slower.
            log.debug("inspecting on one connection: %s", exc)
            self.close()
            return False
        self._pool = ThreadPoolExecutor(max_workers=self._helpers, thread_name_prefix="inspect")
        return True

    def submit(self, job: Callable[[Any], T]) -> Future[T]:
        """Run ``job(cursor)`` on the next free helper connection."""
        assert self._pool is not None, "open() first"

        def run() -> T:
            conn = self._free.get()
            try:
                with conn.cursor() as cur:
                    return job(cur)
            finally:
                self._free.put(conn)

        return self._pool.submit(run)

    def close(self, failed: bool = False) -> None:
        """Stop the helpers and end their transactions (read-only: rolled back)."""
        if self._pool is not None:
            if failed:
                # After a failure, queries still running are interrupted, not waited for.
                for conn in self._conns:
                    if not conn.closed:
                        conn.cancel()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        for conn in self._conns:
            if not conn.closed:
                try:
                    conn.rollback()
                except psycopg2.Error:
                    pass  # closing anyway; the error that matters is the caller's
                conn.close()
        self._conns.clear()

    def __enter__(self) -> SharedSnapshot:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(failed=exc_type is not None)
