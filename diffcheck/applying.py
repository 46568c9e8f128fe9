"""The pipeline commands: ``apply PLAN``, ``apply --auto`` and ``history``."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import dsn as dsnlib
from . import engine, policy, signing, sources
from .config import Settings
from .errors import ApprovalError, DriftError
from .executor import AdvisoryLock, ApplyResult, check_plan, execute
from .history import HistoryRow, read_history
from .pg import connect, connection
from .plan import VERIFIED, Approval, Plan, fingerprint, load
from .planning import (
    NEVER_IMPLICIT,
    _new_plan,
    _stamp,
    drift_sql,
    live_matches,
    read_sidecar,
    settings_for,
)
from .rehearse import Rehearsal, rehearse
from .workspace import Progress, Side, Workspace

UNAUTHENTICATED = (
    "approvals are not authenticated (no allowed-signers file); any approval bound to the "
    "plan's digest is accepted (set --allowed-signers or DIFFCHECK_ALLOWED_SIGNERS)"
)


def apply(
    settings: Settings,
    path: str,
    progress: Progress | None = None,
    warn: Progress | None = None,
) -> ApplyResult:
    """Apply an approved plan, only while live is still the plan's ``from`` schema.
    ``warn`` hears, once, that an approval was accepted without a signature check."""
    started = time.monotonic()
    the_plan = load(path)
    signers = allowed_signers_path(settings)
    check_plan(the_plan, signers)  # approval and signature: before any connection
    if signers is None and warn is not None:
        warn(UNAUTHENTICATED)
    # Hash-checked and checked for what psql and the sandbox refuse, before touching anything.
    read_sidecar(the_plan, "from", trusted=settings.trust_schema_sql)
    to_sql = read_sidecar(the_plan, "to", trusted=settings.trust_schema_sql)
    settings = settings_for(settings, the_plan)
    with Workspace(settings, progress, lock_retries=settings.retries) as ws:
        live_url = ws.live_url()
        live = Side(live_url, dsnlib.mask(live_url), scratch=False)
        lock_conn = connect(live_url, role="live")
        try:
            with AdvisoryLock(lock_conn, settings.lock_wait, ws.progress):
                il = ws.inspect(live)
                fp = fingerprint(il.inspector)
                if fp == the_plan.to_fp:
                    return ApplyResult(status="already applied", elapsed=time.monotonic() - started)
                if fp != the_plan.from_fp:
                    if live_matches(ws, live, the_plan, "to"):
                        return ApplyResult(
                            status="already applied", elapsed=time.monotonic() - started
                        )
                    if not live_matches(ws, live, the_plan, "from"):
                        raise DriftError(
                            "live changed since the plan was reviewed (it matches neither the "
                            "plan's 'from' nor its 'to'); nothing was applied",
                            drift_sql=drift_sql(ws, live, the_plan),
                        )
                    il = ws.inspect(live)
                desired = ws.restore(to_sql, "plan to schema", restricted=True)
                result = execute(ws, the_plan, live, desired, il)
        finally:
            lock_conn.close()
    result.elapsed = time.monotonic() - started
    return result


@dataclass
class AutoResult:
    """What ``apply --auto`` did."""

    status: str  # "applied" | "nothing to do"
    statements: list[str] = field(default_factory=list)
    rehearsal: Rehearsal | None = None
    apply: ApplyResult | None = None
    elapsed: float = 0.0


def apply_auto(
    settings: Settings, allow: list[str], progress: Progress | None = None
) -> AutoResult:
    """Plan, rehearse and apply in one go, for development databases. Refuses any hazard not
    allowed (``all`` allows every hazard but DELETES_DATA), leaving live untouched."""
    started = time.monotonic()
    allowance = policy.parse_allow(allow)  # an unknown code fails before any work
    with Workspace(settings, progress, lock_retries=settings.retries) as ws:
        live_url = ws.live_url()
        live = Side(live_url, dsnlib.mask(live_url), scratch=False)
        source = sources.resolve(
            settings.desired, settings.project_dir, trusted=settings.trust_schema_sql
        )
        built = ws.build(source)
        to_sql = ws.dump(built.url)
        ws.discard(built)
        desired = ws.restore(to_sql, source.label)
        lock_conn = connect(live_url, role="live")
        try:
            with AdvisoryLock(lock_conn, settings.lock_wait, ws.progress):
                il, idesired = ws.inspect_pair(live, desired)
                fp_from, fp_to = fingerprint(il.inspector), fingerprint(idesired.inspector)
                live_types = engine.column_types(il)
                statements = ws.diff_inspections(il, idesired, context=desired)
                if not statements:
                    return AutoResult("nothing to do", elapsed=time.monotonic() - started)
                the_plan = _new_plan(
                    settings,
                    "auto",
                    "auto",
                    live.label,
                    source.label,
                    fp_from,
                    fp_to,
                    "",
                    to_sql,
                    statements,
                )
                reh = rehearse(ws, live, desired, statements)
                _stamp(the_plan, reh, live_types)
                if not reh.verified:
                    raise ApprovalError(f"refused: the rehearsal is {reh.status}: {reh.detail()}")
                codes = the_plan.hazard_codes()
                refused = allowance.missing(codes)
                if refused:
                    raise ApprovalError(
                        f"refused: hazards not allowed: {', '.join(refused)}; live is untouched",
                        hint=policy.refusal_hint(refused),
                    )
                the_plan.approval = Approval(
                    by="apply --auto",
                    at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    allow=sorted(codes),
                    digest=the_plan.digest(),
                )
                result = execute(ws, the_plan, live, desired, ws.inspect(live))
        finally:
            lock_conn.close()
    return AutoResult("applied", the_plan.statements, reh, result, time.monotonic() - started)


def allowed_signers_path(settings: Settings) -> Path | None:
    """The configured allowed-signers file (checked to exist), or None when none is set."""
    if not settings.allowed_signers:
        return None
    return signing.resolve_path(
        settings.allowed_signers, settings.project_dir, "allowed-signers file"
    )


def signing_key_path(settings: Settings) -> Path | None:
    """The configured signing key (checked to exist), or None when none is set."""
    if not settings.signing_key:
        return None
    return signing.resolve_path(settings.signing_key, settings.project_dir, "signing key")


def history(settings: Settings, limit: int = 50) -> list[HistoryRow] | None:
    """Rows of diffcheck.history, newest first; None when this database has none."""
    if not settings.live:
        from .errors import ConfigError

        raise ConfigError("no live database: pass --live URL or set DIFFCHECK_LIVE_URL")
    with connection(dsnlib.normalize(settings.live), role="live") as conn:
        try:
            with conn.cursor() as cur:
                return read_history(cur, limit)
        finally:
            conn.rollback()


__all__ = ["NEVER_IMPLICIT", "VERIFIED", "Plan", "apply", "apply_auto", "history"]
