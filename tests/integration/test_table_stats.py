"""table_stats against a real PostgreSQL server, in a throwaway database."""

from __future__ import annotations

import os
import uuid

import psycopg2
import pytest
from psycopg2 import sql

from diffcheck.hazards import TableStats, describe_size, table_stats

DSN = os.environ.get("DIFFCHECK_TEST_DSN", "postgresql://postgres@127.0.0.1:55432/postgres")


def test_table_stats_reports_rows_and_size() -> None:
    try:
        admin = psycopg2.connect(DSN)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {DSN}: {exc}")
    admin.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction block
    dbname = f"hz_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cur:
        cur.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    try:
        conn = psycopg2.connect(DSN, dbname=dbname)
        try:
            with conn.cursor() as cur:
                cur.execute('create table public.items (id integer primary key, note text)')
                cur.execute("insert into public.items select g, repeat('x', 100) "
                            "from generate_series(1, 5000) g")
                cur.execute('create schema "Odd Schema"')
                cur.execute('create table "Odd Schema"."Odd.Table" (id integer)')
                cur.execute('create table public.never_analyzed (id integer)')
            conn.commit()
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("analyze")
            wanted = ["public.items", "Odd Schema.Odd.Table", "public.never_analyzed",
                      "public.missing", "nope.items"]
            stats = table_stats(conn, wanted)
        finally:
            conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(dbname)))
        admin.close()

    assert set(stats) == {"public.items", "Odd Schema.Odd.Table", "public.never_analyzed"}
    items = stats["public.items"]
    assert items.rows == 5000  # ANALYZE of a table this small samples every row
    assert items.bytes > 5000 * 100  # heap + primary key index + toast
    assert stats["Odd Schema.Odd.Table"] == TableStats(rows=0, bytes=0)
    assert stats["public.never_analyzed"].rows == 0  # reltuples is -1 until analyzed: clamped
    assert describe_size(items).startswith("~5K rows, ")
