"""Who holds the lock a diffcheck query timed out on, as one readable clause.

Inspection and pg_dump ask for ACCESS SHARE locks on relations only, and ACCESS SHARE
conflicts with one mode: ACCESS EXCLUSIVE. So once a lock timeout has fired, the session
that blocked it holds, or waits in the queue ahead of it for, an ACCESS EXCLUSIVE lock on a
relation of the same database: pg_locks and pg_stat_activity name it, read on the connection
that timed out. Nothing watches while waiting: no second connection per inspection, and the
diagnosis costs one query, on failure only."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pglast
import psycopg2
from pglast import ast
from pglast.parser import ParseError

log = logging.getLogger(__name__)

# Blockers of an ACCESS SHARE request in the current database. Other sessions' temporary
# tables are left out (inspection never reads them), and so are relations this snapshot
# cannot see (created by a transaction still open: inspection does not wait for those).
# Holders first, then queued requests; tables and views before their indexes.
_BLOCKERS = """
select n.nspname, c.relname, l.mode, l.granted, l.pid,
       coalesce(a.application_name, '') as application, coalesce(a.query, '') as query,
       case when l.granted or l.pid is null then null
            else pg_catalog.pg_blocking_pids(l.pid) end as behind
from pg_catalog.pg_locks l
join pg_catalog.pg_class c on c.oid = l.relation
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
left join pg_catalog.pg_stat_activity a on a.pid = l.pid
where l.locktype = 'relation'
  and l.database = (select d.oid from pg_catalog.pg_database d
                    where d.datname = pg_catalog.current_database())
  and l.mode = 'AccessExclusiveLock'
  and l.pid is distinct from pg_catalog.pg_backend_pid()
  and c.relpersistence <> 't'
  and (%(schema)s::text is null or (n.nspname = %(schema)s and c.relname = %(name)s))
order by l.granted desc, c.relkind not in ('r', 'p', 'v', 'm', 'f'), n.nspname, c.relname,
         l.pid
limit 50
"""

# How much of the blocking session's query a message quotes.
QUERY_CHARS = 60


@dataclass(frozen=True)
class Holder:
    """A session holding, or queued for, an ACCESS EXCLUSIVE lock on a relation."""

    relation: str
    mode: str
    granted: bool
    pid: int | None  # None: a prepared transaction
    application: str
    query: str
    behind: tuple[int, ...] = ()  # a queued request: the pids it waits for

    def describe(self) -> str:
        """ "held in AccessExclusiveLock by pid 4242 (application psql: "LOCK ...")"."""
        if self.pid is None:
            return f"held in {self.mode} by a prepared transaction"
        verb = "held" if self.granted else "requested"
        who = []
        if self.application:
            who.append(f"application {self.application}")
        # Another role's query reads "<insufficient privilege>" without pg_read_all_stats.
        query = " ".join(self.query.split())
        if query and not query.startswith("<"):
            if len(query) > QUERY_CHARS:
                query = query[:QUERY_CHARS].rstrip() + " ..."
            who.append(f'"{query}"')
        text = f"{verb} in {self.mode} by pid {self.pid}"
        if who:
            text += f" ({': '.join(who)})"
        if self.behind:
            text += ", queued behind pid " + ", ".join(str(p) for p in self.behind)
        return text


def holders(cur: Any, relation: tuple[str, str] | None = None) -> list[Holder]:
    """Sessions whose ACCESS EXCLUSIVE locks block reading ``relation`` (any relation of the
    database when None)."""
    schema, name = relation if relation else (None, None)
    cur.execute(_BLOCKERS, {"schema": schema, "name": name})
    return [
        Holder(f"{r[0]}.{r[1]}", r[2], bool(r[3]), r[4], r[5] or "", r[6] or "", tuple(r[7] or ()))
        for r in cur.fetchall()
    ]


def explain(found: list[Holder], lock_timeout: float | None) -> str:
    """ "lock timeout (5s) on app.orders, held in ... by pid 4242 (...)"."""
    head = f"lock timeout ({lock_timeout:g}s)" if lock_timeout is not None else "lock timeout"
    if not found:
        return f"{head}; the session holding the lock is no longer visible"
    first = found[0]
    text = f"{head} on {first.relation}"
    others = {h.relation for h in found} - {first.relation}
    if others:
        text += f" (and {len(others)} more relation(s))"
    return f"{text}, {first.describe()}"


def after_timeout(conn: Any, lock_timeout: float | None) -> str:
    """:func:`explain` read on ``conn``, whose transaction just failed with a lock timeout
    (it is rolled back here, before and after); never raises for a failed diagnosis."""
    found: list[Holder] = []
    try:
        conn.rollback()
        with conn.cursor() as cur:
            # The diagnosis must not wait either: the catalogs it reads are never locked
            # exclusively in practice, but a bound costs nothing.
            cur.execute("set local statement_timeout = '5s'")
            found = holders(cur)
    except psycopg2.Error as exc:
        log.debug("could not read who holds the lock: %s", exc)
    finally:
        try:
            conn.rollback()
        except psycopg2.Error:
            pass
    return explain(found, lock_timeout)


def lock_statement_relation(stderr: str) -> tuple[str, str] | None:
    """The relation of the ``LOCK TABLE`` a client tool reports as its failed query.

    pg_dump implements --lock-wait-timeout as a statement timeout on its LOCK TABLE, and
    reports it as "Query was: LOCK TABLE public.t IN ACCESS SHARE MODE"; the statement is
    parsed with pglast, never matched as text."""
    for line in stderr.splitlines():
        _, found, query = line.partition("Query was: ")
        if not found:
            continue
        try:
            statements = pglast.parse_sql(query)
        except ParseError:
            continue
        for raw in statements:
            node = raw.stmt
            if isinstance(node, ast.LockStmt) and node.relations:
                rel = node.relations[0]
                return (rel.schemaname or "public", rel.relname)
    return None


def dump_lock_timeout(url: str, stderr: str, lock_timeout: float) -> str | None:
    """The explanation of a pg_dump that failed waiting for a table lock, or None when it
    failed for another reason. Holders are read on a new connection: pg_dump's is gone."""
    relation = lock_statement_relation(stderr)
    if relation is None or "timeout" not in stderr.lower():
        return None
    from . import pg

    found: list[Holder] = []
    try:
        with pg.connection(url, autocommit=True, role="live") as conn, conn.cursor() as cur:
            found = holders(cur, relation)
    except Exception as exc:  # the dump's failure is what matters, not the diagnosis's
        log.debug("could not read who holds the lock: %s", exc)
    if not found:
        return f"lock timeout ({lock_timeout:g}s) on {relation[0]}.{relation[1]}"
    return explain(found, lock_timeout)
