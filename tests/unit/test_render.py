"""Output formats: sql, json (a documented interface), markdown and GitHub annotations."""

from __future__ import annotations

import json

from diffcheck import render
from diffcheck.hazards import Hazard, TableStats

ADD_INDEX = "CREATE INDEX orders_created_idx ON app.orders USING btree (created_at);"
ADD_COLUMN = 'alter table "app"."orders" add column "note" text;'
LOCKS = [
    Hazard("BLOCKS_WRITES", 'CREATE INDEX takes SHARE lock on "app"."orders"', "app.orders"),
    Hazard("BUILDS_INDEX", 'builds index orders_created_idx on "app"."orders"', "app.orders"),
]
STATS = {"app.orders": TableStats(rows=1_234_567, bytes=350 * 1024 * 1024)}


# ---- sql -------------------------------------------------------------------------------------


def test_sql_text_puts_hazard_comments_above_each_statement() -> None:
    text = render.sql_text([ADD_INDEX, ADD_COLUMN], [LOCKS, []])
    blocks = text.split("\n\n")
    assert blocks[0].splitlines() == [
        "-- hazards: BLOCKS_WRITES, BUILDS_INDEX",
        f"--   BLOCKS_WRITES: {LOCKS[0].message}",
        f"--   BUILDS_INDEX: {LOCKS[1].message}",
        ADD_INDEX,
    ]
    assert blocks[1] == ADD_COLUMN + "\n"
    assert text.endswith(";\n")


def test_sql_text_adds_table_sizes_and_handles_missing_hazards() -> None:
    text = render.sql_text([ADD_INDEX, ADD_COLUMN], [LOCKS], STATS)
    assert "[~1.2M rows, 350 MB]" in text
    assert render.sql_text([]) == ""
    assert render.sql_text([ADD_COLUMN]) == ADD_COLUMN + "\n"


# ---- json ------------------------------------------------------------------------------------


def test_json_text_has_the_documented_keys() -> None:
    doc = json.loads(
        render.json_text(
            in_sync=False,
            source="postgresql://app:***@db/prod",
            target="schema",
            statements=[ADD_INDEX, ADD_COLUMN],
            hazards=[LOCKS, []],
            elapsed=1.23456,
        )
    )
    assert list(doc) == [
        "format_version",
        "in_sync",
        "source",
        "target",
        "statement_count",
        "statements",
        "elapsed_seconds",
    ]
    assert doc["format_version"] == render.JSON_FORMAT_VERSION == 1
    assert doc["in_sync"] is False
    assert doc["source"] == {"label": "postgresql://app:***@db/prod"}
    assert doc["target"] == {"label": "schema"}
    assert doc["statement_count"] == 2
    assert doc["elapsed_seconds"] == 1.235
    first, second = doc["statements"]
    assert first["index"] == 1 and first["sql"] == ADD_INDEX
    assert [set(h) for h in first["hazards"]] == [{"code", "message", "table"}] * 2
    assert first["hazards"][0] == {
        "code": "BLOCKS_WRITES",
        "message": LOCKS[0].message,
        "table": "app.orders",
    }
    assert second == {"index": 2, "sql": ADD_COLUMN, "hazards": []}


def test_json_text_in_sync_sizes_and_extra_keys() -> None:
    doc = json.loads(render.json_text(in_sync=True, source="live", target="schema", statements=[]))
    assert doc["in_sync"] is True and doc["statement_count"] == 0 and doc["statements"] == []
    doc = json.loads(
        render.json_text(
            in_sync=False,
            source="live",
            target="schema",
            statements=[ADD_INDEX],
            hazards=[LOCKS],
            stats=STATS,
            extra={"plan": "plans/x.sql", "rehearsal": "VERIFIED"},
        )
    )
    hazard = doc["statements"][0]["hazards"][0]
    assert hazard["table_rows"] == 1_234_567 and hazard["table_bytes"] == 350 * 1024 * 1024
    assert doc["plan"] == "plans/x.sql" and doc["rehearsal"] == "VERIFIED"


# ---- markdown --------------------------------------------------------------------------------


def test_markdown_has_summary_hazard_table_sql_fence_and_verdict() -> None:
    text = render.markdown_text(
        in_sync=False,
        source="live",
        target="schema",
        statements=[ADD_INDEX, ADD_COLUMN],
        hazards=[LOCKS, []],
        stats=STATS,
        verdict="VERIFIED: converged after 1 round(s), 2 statement(s)",
    )
    lines = text.splitlines()
    assert lines[0] == "### diffcheck: schema differs"
    assert "**2 statement(s)** turn `live` into `schema`; 2 hazard(s)." in lines
    assert "Rehearsal: **VERIFIED: converged after 1 round(s), 2 statement(s)**" in lines
    header = lines.index("| # | hazard | object | table size |")
    assert lines[header + 1] == "|---|---|---|---|"
    assert lines[header + 2].startswith("| 1 | `BLOCKS_WRITES` | ")
    assert lines[header + 2].endswith("| ~1.2M rows, 350 MB |")
    fence = lines.index("```sql")
    assert ADD_INDEX in lines[fence:] and ADD_COLUMN in lines[fence:]
    assert lines[-1] == "```"


def test_markdown_escapes_pipes_and_has_no_table_without_hazards() -> None:
    text = render.markdown_text(
        in_sync=False,
        source="a|b",
        target="schema",
        statements=[ADD_COLUMN],
        hazards=[[Hazard("DELETES_DATA", "drops x | y\nz", None)]],
    )
    assert "`a\\|b`" in text
    assert "| 1 | `DELETES_DATA` | drops x \\| y z |  |" in text
    plain = render.markdown_text(
        in_sync=False, source="live", target="schema", statements=[ADD_COLUMN]
    )
    assert "| # | hazard |" not in plain and "Rehearsal:" not in plain
    assert "```sql" in plain


def test_markdown_in_sync() -> None:
    text = render.markdown_text(in_sync=True, source="live", target="schema", statements=[])
    assert text.startswith("### diffcheck: in sync")
    assert "`live` matches `schema`" in text


# ---- github ----------------------------------------------------------------------------------


def test_github_one_error_per_statement_with_hazard_codes() -> None:
    text = render.github_text([ADD_INDEX, ADD_COLUMN], [LOCKS, []])
    lines = text.splitlines()
    assert len(lines) == 2 and text.endswith("\n")
    assert lines[0] == (
        f"::error title=diffcheck%3A schema drift::{ADD_INDEX} [BLOCKS_WRITES, BUILDS_INDEX]"
    )
    assert lines[1] == f"::error title=diffcheck%3A schema drift::{ADD_COLUMN}"
    assert render.github_text([]) == ""


def test_github_escapes_percent_and_newlines_in_the_message() -> None:
    stmt = "create view v as\nselect '100%' as pct\r\n;"
    [line] = render.github_text([stmt]).splitlines()
    message = line.split("::", 2)[2]
    assert message == "create view v as%0Aselect '100%25' as pct%0D%0A;"
    assert "\n" not in message and "\r" not in message


def test_github_escapes_commas_and_colons_in_properties() -> None:
    text = render.github_text([ADD_COLUMN], provenance=[("schema/a,b: c%.sql", 7)])
    props = text.split("::")[1].removeprefix("error ")
    assert props == "file=schema/a%2Cb%3A c%25.sql,line=7,title=diffcheck%3A schema drift"


def test_github_file_and_line_from_provenance() -> None:
    text = render.github_text(
        [ADD_INDEX, ADD_COLUMN, "drop table app.old;"],
        [LOCKS, [], []],
        provenance=[("schema/40_orders.sql", 20), ("schema/40_orders.sql", 5), None],
    )
    first, second, third = text.splitlines()
    assert first.startswith("::error file=schema/40_orders.sql,line=20,title=")
    assert second.startswith("::error file=schema/40_orders.sql,line=5,title=")
    assert third.startswith("::error title=diffcheck%3A schema drift::drop table")
    assert "file=" not in third


def test_github_level_and_short_provenance() -> None:
    text = render.github_text([ADD_INDEX, ADD_COLUMN], provenance=[("a.sql", 1)], level="warning")
    first, second = text.splitlines()
    assert first.startswith("::warning file=a.sql,line=1,")
    assert second.startswith("::warning title=")
