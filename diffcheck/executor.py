"""Applying a plan to live: the only path by which diffcheck changes a database.

Order: check the plan (approval, digest, hazards) -> advisory lock -> compare live with the
plan's from/to -> one transaction under SET LOCAL lock_timeout/statement_timeout, retried
with backoff on lock timeouts -> re-inspect inside the transaction and commit only if live
now equals desired -> history row in the same transaction -> non-transactional statements
(online index builds) after the commit, each retried, then a final verification."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from . import dsn as dsnlib
from . import engine, interrupt, pg, policy, signing
from .errors import ApplyError, ApprovalError, ConfigError, LockError, ResidualDiff, TamperedPlan
from .hazards import is_transactional
from .history import ensure_history, finish_history, record_history
from .online import index_name, index_target, make_online
from .plan import Plan
from .workspace import Side, Workspace

log = logging.getLogger(__name__)

LOCK_SQL = "select pg_try_advisory_lock(hashtext('diffcheck'), hashtext(current_database()))"
UNLOCK_SQL = "select pg_advisory_unlock(hashtext('diffcheck'), hashtext(current_database()))"


@dataclass
class ApplyResult:
    """What apply did."""

    status: str  # "applied" | "already applied"
    statements: list[str] = field(default_factory=list)
    attempts: int = 0
    waits: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    history_id: int | None = None


def check_plan(plan: Plan, allowed_signers: Path | None = None) -> None:
    """Refuse a plan that is unapproved, edited since approval, riskier than approved, or
    (with an allowed-signers file) not signed by an allowed signer. Runs before any
    connection; on success a verified signer is recorded on the approval for history."""
    digest = plan.digest()
    approval = plan.approval
    if approval is None:
        raise ApprovalError(f"{plan.path}: the plan is not approved (run diffcheck approve)")
    if allowed_signers is not None:
        # Checked first: an edited approval must be reported as such, whichever field moved.
        try:
            approval.principal = signing.verify(approval.payload(), approval.sig, allowed_signers)
        except ApprovalError as exc:
            raise ApprovalError(f"{plan.path}: refused: {exc.message}", hint=exc.hint) from None
    if approval.digest != digest:
        raise TamperedPlan(
            f"{plan.path}: the statements or fingerprints changed after approval "
            f"(approved {approval.digest[:12]}, now {digest[:12]}); the approval is void"
        )
    if not plan.verified:
        raise TamperedPlan(f"{plan.path}: the rehearsal stamp does not match the statements")
    try:
        allowance = policy.parse_allow(approval.allow, origin=f"{plan.path}: approval")
    except ConfigError as exc:
        raise ApprovalError(exc.message) from None
    extra = allowance.missing(plan.hazard_codes())
    if extra:
        raise ApprovalError(f"{plan.path}: hazards exceed the approval: {', '.join(extra)}")


class AdvisoryLock:
    """A session advisory lock keyed to diffcheck and the database, waited for politely."""

    def __init__(self, conn: pg.Connection, wait: float, progress: Callable[[str], None]):
        self.conn = conn
        self.wait = wait
        self.progress = progress

    def __enter__(self) -> AdvisoryLock:
        deadline = time.monotonic() + self.wait
        announced = False
        with self.conn.cursor() as cur:
            while True:
                cur.execute(LOCK_SQL)
                row = cur.fetchone()
                if row and row[0]:
                    self.conn.commit()
                    return self
                self.conn.rollback()
                if time.monotonic() >= deadline:
                    raise LockError(
                        f"another diffcheck apply holds the lock on this database "
                        f"(waited {self.wait:.0f}s)",
                        hint="retry later or raise --lock-wait",
                    )
                if not announced:
                    self.progress("waiting for another diffcheck apply to finish")
                    announced = True
                time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        try:
            self.conn.rollback()
            with self.conn.cursor() as cur:
                cur.execute(UNLOCK_SQL)
            self.conn.commit()
        except psycopg2.Error:  # connection gone: the server released the lock with it
            pass


def split_online(
    statements: list[str], existing_tables: set[tuple[str, str]], online: bool
) -> tuple[list[str], list[str]]:
    """(in-transaction statements, after-commit statements). With ``online``, index builds
    and drops on existing plain tables become CONCURRENTLY and move after the commit."""
    inside: list[str] = []
    outside: list[str] = []
    for s in statements:
        if not is_transactional(s):
            outside.append(s)
            continue
        if online:
            target = index_target(s)
            converted = make_online(s)
            if (
                converted
                and target
                and (target in existing_tables or s.lstrip()[:4].lower() == "drop")
            ):
                outside.append(converted)
                continue
        inside.append(s)
    return inside, outside


def _pending_keys(outside: list[str]) -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    for s in outside:
        key = index_name(s) or index_target(s)
        if key:
            keys.add(key)
    return keys


def _residual_allowed(residual: list[str], pending: set[tuple[str, str]]) -> list[str]:
    """Residual statements not explained by after-commit index work."""
    left = []
    for s in residual:
        key = index_name(s) or index_target(s)
        if key is None or key not in pending:
            left.append(s)
    return left


def _set_timeouts(cur: psycopg2.extensions.cursor, lock_s: float, stmt_s: float) -> None:
    cur.execute(
        sql.SQL("set local lock_timeout = {}").format(sql.Literal(f"{int(lock_s * 1000)}ms"))
    )
    cur.execute(
        sql.SQL("set local statement_timeout = {}").format(sql.Literal(f"{int(stmt_s * 1000)}ms"))
    )


def run_transaction(
    ws: Workspace,
    conn: pg.Connection,
    plan: Plan,
    inside: list[str],
    outside: list[str],
    desired: Side,
    idesired: engine.Inspection,
    result: ApplyResult,
) -> None:
    """The main transaction, retried with backoff when a lock cannot be had in time."""
    settings = ws.settings
    backoff = 1.0
    pending = _pending_keys(outside)
    for attempt in range(1, settings.retries + 2):
        result.attempts = attempt
        started = time.time()
        current = ""
        try:
            with conn.cursor() as cur:
                _set_timeouts(cur, settings.lock_timeout, settings.statement_timeout)
                # The plan's SQL was printed under these (inspection's deparse); read it back
                # under the same, not under live's own search_path or DateStyle.
                pg.set_settings(cur, pg.DEPARSE_SETTINGS)
                ensure_history(cur)
                for k, s in enumerate(inside, 1):
                    current = s
                    ws.progress(f"applying statement {k}/{len(inside)}")
                    cur.execute(s)
                current = ""
            ws.progress("verifying before commit")
            ilive = engine.inspect_in_transaction(conn, "live (in transaction)", ws.filters)
            residual = ws.diff_inspections(ilive, idesired, context=desired)
            left = _residual_allowed(residual, pending)
            if left:
                conn.rollback()
                raise ResidualDiff(
                    f"after applying, live still differs from desired by {len(left)} "
                    "statement(s); rolled back, live is unchanged",
                    residual=left,
                )
            with conn.cursor() as cur:
                result.history_id = record_history(
                    cur, plan, inside + outside, started, "applied" if not outside else "pending"
                )
            # A signal from here on is reported as what was committed, not as "interrupted":
            # the COMMIT and that note are never separated (see diffcheck.interrupt).
            with interrupt.critical():
                conn.commit()
                interrupt.note_commit(_committed(result.history_id, outside))
            return
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.DeadlockDetected) as exc:
            conn.rollback()
            wait = f"attempt {attempt}: lock timeout on: {' '.join(current.split())[:120]}"
            result.waits.append(wait)
            ws.progress(wait + f"; retrying in {backoff:.0f}s")
            log.debug("lock timeout: %s", exc)
            if attempt > settings.retries:
                break
            time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
        except psycopg2.Error as exc:
            conn.rollback()
            diag = exc.diag
            raise ApplyError(
                f"{diag.message_primary or str(exc).strip()}; rolled back, live is unchanged",
                statement=current or None,
                hint=diag.message_hint,
            ) from None
    raise LockError(
        f"gave up after {result.attempts} attempt(s): a lock could not be taken within "
        f"{settings.lock_timeout:g}s; rolled back, live is unchanged",
        hint="retry when the blocking session is done, or raise --lock-timeout/--retries",
    )


def _committed(history_id: int | None, outside: list[str]) -> str:
    """What a COMMIT of the plan's transaction has made permanent, for an interruption."""
    if not outside:
        return f"the plan was applied and verified before commit; history row {history_id}"
    return (
        f"the plan's transactional statements were applied (history row {history_id}, "
        f"status pending); its {len(outside)} non-transactional statement(s) may not all "
        "have run: run diffcheck check"
    )


def run_outside(
    ws: Workspace, conn: pg.Connection, outside: list[str], result: ApplyResult
) -> None:
    """Non-transactional statements after the commit, each retried on lock timeouts, with
    any INVALID index left by a failed concurrent build dropped before the retry."""
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            pg.set_settings(cur, pg.DEPARSE_SETTINGS, local=False)  # as in the transaction
        for k, s in enumerate(outside, 1):
            try:
                _run_one_outside(ws, conn, k, len(outside), s, result)
            except interrupt.Interrupted:
                _drop_invalid_index(conn, s)  # a cancelled build leaves one
                raise
    finally:
        with conn.cursor() as cur:
            cur.execute("reset lock_timeout")
        conn.autocommit = False


def _run_one_outside(
    ws: Workspace, conn: pg.Connection, k: int, n: int, s: str, result: ApplyResult
) -> None:
    settings = ws.settings
    backoff = 1.0
    for attempt in range(1, settings.retries + 2):
        ws.progress(f"applying non-transactional statement {k}/{n}")
        try:
            with conn.cursor() as cur:
                cur.execute(
                    sql.SQL("set lock_timeout = {}").format(
                        sql.Literal(f"{int(settings.lock_timeout * 1000)}ms")
                    )
                )
                cur.execute(s)
            return
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.QueryCanceled) as exc:
            result.waits.append(f"{' '.join(s.split())[:80]}: {exc.diag.message_primary}")
            _drop_invalid_index(conn, s)
            if attempt > settings.retries:
                raise LockError(
                    f"gave up on non-transactional statement {k}: {exc.diag.message_primary}"
                ) from None
            time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
        except psycopg2.Error:
            # Any other failure of a concurrent build (a duplicate key for a UNIQUE
            # index, a deadlock, ...) leaves an INVALID index that the planner
            # ignores but every write still maintains: never leave it behind.
            _drop_invalid_index(conn, s)
            raise


def _drop_invalid_index(conn: pg.Connection, statement: str) -> None:
    key = index_name(statement)
    if key is None:
        return
    leaving = interrupt.received() is not None
    with conn.cursor() as cur:
        try:
            if leaving:
                # On the way out after a signal: the drop waits half a second at most (it
                # waits for the same sessions the build waited for), else it is reported.
                cur.execute("set lock_timeout = '500ms'")
            cur.execute(
                "select not i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid "
                "join pg_namespace n on n.oid = c.relnamespace where n.nspname = %s "
                "and c.relname = %s",
                key,
            )
            row = cur.fetchone()
            if row and row[0]:
                cur.execute(
                    sql.SQL("drop index concurrently if exists {}.{}").format(
                        sql.Identifier(key[0]), sql.Identifier(key[1])
                    )
                )
        except psycopg2.Error:
            if not leaving:
                raise
            left = f"the interrupted build left the INVALID index {key[0]}.{key[1]}"
            note = interrupt.committed() or "the plan was partly applied"
            if left not in note:
                interrupt.note_commit(f"{note}; {left}: drop it (DROP INDEX CONCURRENTLY)")


def execute(
    ws: Workspace, plan: Plan, live: Side, desired: Side, il: engine.Inspection
) -> ApplyResult:
    """Apply ``plan.statements`` to live (already locked and checked by the caller)."""
    started = time.monotonic()
    result = ApplyResult(status="applied")
    existing = {
        (t.schema, t.name)
        for t in il.inspector.tables.values()
        if getattr(t, "relationtype", "r") == "r"
    }
    inside, outside = split_online(plan.statements, existing, ws.settings.online)
    result.statements = inside + outside
    idesired = ws.inspect(desired)
    conn = pg.connect(live.url, role="live")
    try:
        run_transaction(ws, conn, plan, inside, outside, desired, idesired, result)
        if outside:
            run_outside(ws, conn, outside, result)
            residual = ws.diff(live, desired)
            with conn.cursor() as cur:
                finish_history(cur, result.history_id, "applied" if not residual else "failed")
            with interrupt.critical():
                conn.commit()
                if not residual:
                    interrupt.note_commit(
                        f"the plan was applied, its non-transactional statements too; "
                        f"history row {result.history_id}"
                    )
            if residual:
                raise ResidualDiff(
                    "after the non-transactional statements, live still differs from desired",
                    residual=residual,
                )
    finally:
        conn.close()
    result.elapsed = time.monotonic() - started
    return result


def describe_live(url: str) -> str:
    """A masked label for live."""
    return dsnlib.mask(url)
