"""The single history table, ``diffcheck.history``: one row per apply, written in the same
transaction as the change it records. It replaces the seeds' three version tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeAlias

import psycopg2.errors
import psycopg2.extensions

from . import __version__
from .errors import PermissionDenied
from .plan import Plan

Cursor: TypeAlias = psycopg2.extensions.cursor

_DDL = """
create schema if not exists diffcheck;
create table if not exists diffcheck.history (
    id                bigserial primary key,
    plan_name         text not null,
    plan_kind         text not null,
    plan_digest       text not null,
    from_fingerprint  text not null,
    to_fingerprint    text not null,
    approved_by       text,
    approved_at       timestamptz,
    allowed_hazards   text[] not null default '{}',
    applied_by        text not null default current_user,
    client_addr       inet default inet_client_addr(),
    client_host       text,
    started_at        timestamptz not null,
    finished_at       timestamptz,
    status            text not null,
    statement_count   integer not null,
    sql               text not null,
    diffcheck_version text not null
);
comment on table diffcheck.history is 'diffcheck: one row per applied plan';
"""


def ensure_history(cur: Cursor) -> None:
    """Create the history table on first use (inside the apply transaction)."""
    cur.execute("select to_regclass('diffcheck.history') is not null")
    row = cur.fetchone()
    if not (row and row[0]):
        cur.execute(_DDL)


def record_history(
    cur: Cursor, plan: Plan, statements: list[str], started: float, status: str
) -> int:
    """Insert this apply's row; returns its id."""
    import socket

    approval = plan.approval
    cur.execute(
        "insert into diffcheck.history (plan_name, plan_kind, plan_digest, from_fingerprint, "
        "to_fingerprint, approved_by, approved_at, allowed_hazards, client_host, started_at, "
        "finished_at, status, statement_count, sql, diffcheck_version) values "
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, to_timestamp(%s), "
        "case when %s = 'applied' then clock_timestamp() end, %s, %s, %s, %s) returning id",
        (
            plan.name,
            plan.get("kind", "forward"),
            plan.digest(),
            plan.from_fp,
            plan.to_fp,
            _approver(plan),
            approval.at if approval else None,
            list(approval.allow) if approval else [],
            socket.gethostname(),
            started,
            status,
            status,
            len(statements),
            "\n\n".join(statements),
            __version__,
        ),
    )
    row = cur.fetchone()
    assert row is not None
    return int(row[0])


def _approver(plan: Plan) -> str | None:
    """approved_by: the allowed-signers principal when the signature was verified, else the
    approval's claimed name marked "(unverified)"; apply --auto has no approver to verify."""
    approval = plan.approval
    if approval is None:
        return None
    return approval.by if plan.get("kind") == "auto" else approval.approver


def finish_history(cur: Cursor, history_id: int | None, status: str) -> None:
    """Mark a row finished once the after-commit statements are done."""
    if history_id is None:
        return
    cur.execute(
        "update diffcheck.history set status = %s, finished_at = clock_timestamp() where id = %s",
        (status, history_id),
    )


@dataclass
class HistoryRow:
    """One applied plan."""

    id: int
    plan_name: str
    plan_kind: str
    plan_digest: str
    approved_by: str | None
    applied_by: str
    client_host: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    statement_count: int
    sql: str


_ACCESS = """
select has_schema_privilege(n.oid, 'USAGE'),
       (select has_table_privilege(c.oid, 'SELECT') from pg_catalog.pg_class c
         where c.relnamespace = n.oid and c.relname = 'history' and c.relkind in ('r', 'p'))
  from pg_catalog.pg_namespace n where n.nspname = 'diffcheck'
"""


def read_history(cur: Cursor, limit: int = 50) -> list[HistoryRow] | None:
    """Newest first; None when the table does not exist (no apply ever ran here). A role
    that may not read it gets one line saying which grant it lacks."""
    # The catalogs are readable by everyone; to_regclass() itself would fail without USAGE.
    cur.execute(_ACCESS)
    access = cur.fetchone()
    if access is None or access[1] is None:
        return None
    if not access[0]:
        raise PermissionDenied(
            "cannot read diffcheck.history: permission denied (grant USAGE on schema diffcheck)"
        )
    if not access[1]:
        raise PermissionDenied(
            "cannot read diffcheck.history: permission denied (grant SELECT on diffcheck.history)"
        )
    try:
        cur.execute(
            "select id, plan_name, plan_kind, plan_digest, approved_by, applied_by, client_host, "
            "started_at, finished_at, status, statement_count, sql from diffcheck.history "
            "order by id desc limit %s",
            (limit,),
        )
    except psycopg2.errors.InsufficientPrivilege as exc:  # e.g. column privileges only
        raise PermissionDenied(
            f"cannot read diffcheck.history: {exc.diag.message_primary}"
        ) from None
    rows: list[Any] = cur.fetchall()
    return [HistoryRow(*r) for r in rows]
