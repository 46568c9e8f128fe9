"""table_stats against a real PostgreSQL server, in a throwaway database."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import psycopg2
from conftest import DB

from diffcheck.hazards import TableStats, describe_size, table_stats


def test_table_stats_reports_rows_and_size(make_db: Callable[..., DB]) -> None:
    db = make_db(
        """
        create table public.items (id integer primary key, note text);
        insert into public.items select g, repeat('x', 100) from generate_series(1, 5000) g;
        create schema "Odd Schema";
        create table "Odd Schema"."Odd.Table" (id integer);
        create table public.never_analyzed (id integer);
        """
    )
    with contextlib.closing(psycopg2.connect(db.url)) as conn:
        conn.autocommit = True  # ANALYZE of every table: outside a transaction block is simplest
        with conn.cursor() as cur:
            cur.execute("analyze public.items")
            cur.execute('analyze "Odd Schema"."Odd.Table"')
        wanted = ["public.items", "Odd Schema.Odd.Table", "public.never_analyzed",
                  "public.missing", "nope.items"]
        stats = table_stats(conn, wanted)

    assert set(stats) == {"public.items", "Odd Schema.Odd.Table", "public.never_analyzed"}
    items = stats["public.items"]
    assert items.rows == 5000  # ANALYZE of a table this small samples every row
    assert items.bytes > 5000 * 100  # heap + primary key index + toast
    assert stats["Odd Schema.Odd.Table"] == TableStats(rows=0, bytes=0)
    assert stats["public.never_analyzed"].rows == 0  # reltuples is -1 until analyzed: clamped
    assert describe_size(items).startswith("~5K rows, ")
