"""Rehearsal: apply statements to a scratch clone of a database, re-diff against the target,
and iterate to a fixpoint. Nothing is called ready until it has converged here."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import psycopg2

from . import pg
from .hazards import is_transactional
from .plan import UNVERIFIED, VERIFIED
from .workspace import Side, Workspace

log = logging.getLogger(__name__)

MAX_ROUNDS = 4


@dataclass
class Failure:
    """Where a rehearsal apply failed."""

    index: int  # 0-based statement index within the applied list
    statement: str
    error: str
    hint: str | None = None


@dataclass
class Rehearsal:
    """The verdict of a rehearsal."""

    status: str
    rounds: int
    statements: list[str]
    failure: Failure | None = None
    residual: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        """True when the statements converged on the clone."""
        return self.status == VERIFIED

    def detail(self) -> str:
        """One line for the plan header and messages."""
        if self.verified:
            return f"converged after {self.rounds} round(s), {len(self.statements)} statement(s)"
        if self.failure:
            hint = f" (hint: {self.failure.hint})" if self.failure.hint else ""
            return (
                f"statement {self.failure.index + 1} failed: {self.failure.error}{hint} -- "
                f"{' '.join(self.failure.statement.split())[:300]}"
            )
        return (
            f"did not converge after {self.rounds} round(s); {len(self.residual)} residual "
            f"statement(s): " + " ".join(" ".join(s.split()) for s in self.residual)[:500]
        )


def _message(exc: psycopg2.Error) -> tuple[str, str | None]:
    diag = exc.diag
    primary = diag.message_primary or (str(exc).strip().splitlines() or ["error"])[0]
    return primary, diag.message_hint


def apply_to(url: str, statements: list[str]) -> Failure | None:
    """Apply statements on a scratch database: transactional ones in one transaction, then
    the non-transactional ones one by one (the same split apply uses on live)."""
    tx = [(i, s) for i, s in enumerate(statements) if is_transactional(s)]
    outside = [(i, s) for i, s in enumerate(statements) if not is_transactional(s)]
    with pg.connection(url, role="rehearsal clone") as conn:
        with conn.cursor() as cur:
            # Under the settings apply uses on live (see executor.run_transaction).
            pg.set_settings(cur, pg.DEPARSE_SETTINGS, local=False)
            for i, s in tx:
                try:
                    cur.execute(s)
                except psycopg2.Error as exc:
                    conn.rollback()
                    msg, hint = _message(exc)
                    return Failure(i, s, msg, hint)
            conn.commit()
        conn.autocommit = True
        with conn.cursor() as cur:
            for i, s in outside:
                try:
                    cur.execute(s)
                except psycopg2.Error as exc:
                    msg, hint = _message(exc)
                    return Failure(i, s, msg, hint)
    return None


def rehearse(
    ws: Workspace,
    base: Side,
    target: Side,
    statements: list[str],
    *,
    extend: bool = True,
    max_rounds: int = MAX_ROUNDS,
    base_script: str | None = None,
) -> Rehearsal:
    """Clone ``base``'s schema (from ``base_script``, a dump of it, when given), apply
    ``statements``, and diff against ``target``.

    With ``extend``, a residual diff is appended as a further round (migra often needs a
    second pass) and the whole extended list is rehearsed once more on a fresh clone."""
    current = list(statements)
    pending = list(statements)
    clone = ws.clone(base.url, base.label, script=base_script)
    try:
        if not base.scratch:
            # A live database's sequences have positions a schema dump does not carry.
            ws.copy_sequence_positions(base, clone)
        for rnd in range(1, max_rounds + 1):
            ws.progress(f"rehearsing round {rnd}")
            failure = apply_to(clone.url, pending)
            if failure is not None:
                offset = len(current) - len(pending)
                failure.index += offset
                return Rehearsal(UNVERIFIED, rnd, current, failure=failure)
            residual = ws.diff(clone, target)
            if not residual:
                if rnd == 1:
                    return Rehearsal(VERIFIED, rnd, current)
                # The extended plan must also work in one go, from the original state.
                final = rehearse(ws, base, target, current, extend=False, base_script=base_script)
                final.rounds = rnd
                return final
            if not extend or residual == pending:
                return Rehearsal(UNVERIFIED, rnd, current, residual=residual)
            current += residual
            pending = residual
        return Rehearsal(UNVERIFIED, max_rounds, current, residual=pending)
    finally:
        ws.discard(clone)
