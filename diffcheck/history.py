"""The single history table, ``diffcheck.history``: one row per apply, written in the same
transaction as the change it records. It replaces the seeds' three version tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeAlias

import psycopg2.extensions

from . import __version__
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
            approval.by if approval else None,
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


def read_history(cur: Cursor, limit: int = 50) -> list[HistoryRow]:
    """Newest first; an empty list when no apply ever ran."""
    cur.execute("select to_regclass('diffcheck.history') is not null")
    row = cur.fetchone()
    if not (row and row[0]):
        return []
    cur.execute(
        "select id, plan_name, plan_kind, plan_digest, approved_by, applied_by, client_host, "
        "started_at, finished_at, status, statement_count, sql from diffcheck.history "
        "order by id desc limit %s",
        (limit,),
    )
    rows: list[Any] = cur.fetchall()
    return [HistoryRow(*r) for r in rows]
