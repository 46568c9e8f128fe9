"""Output formats: sql, json, markdown and github. Pure functions from results to text;
cli.py decides where the text goes.

The JSON object is a documented, stable interface (README, "JSON output"): keys are only
ever added, never renamed or removed, within a ``format_version``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .hazards import Hazard, TableStats, describe_size

JSON_FORMAT_VERSION = 1


def _hazard_line(hazards: Sequence[Hazard]) -> str:
    return "-- hazards: " + ", ".join(h.code for h in hazards)


def sql_text(
    statements: Sequence[str],
    hazards: Sequence[Sequence[Hazard]] = (),
    stats: dict[str, TableStats] | None = None,
) -> str:
    """Statements separated by blank lines, each preceded by its hazard comments."""
    blocks = []
    for i, statement in enumerate(statements):
        lines = []
        hz = hazards[i] if i < len(hazards) else ()
        if hz:
            lines.append(_hazard_line(hz))
            for h in hz:
                size = ""
                if stats and h.table and h.table in stats:
                    size = f" [{describe_size(stats[h.table])}]"
                lines.append(f"--   {h.code}: {h.message}{size}")
        lines.append(statement)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def hazard_dict(h: Hazard, stats: dict[str, TableStats] | None = None) -> dict[str, Any]:
    """A hazard as a JSON-ready dict."""
    out: dict[str, Any] = {"code": h.code, "message": h.message, "table": h.table}
    if stats and h.table and h.table in stats:
        out["table_rows"] = stats[h.table].rows
        out["table_bytes"] = stats[h.table].bytes
    return out


def json_text(
    *,
    in_sync: bool,
    source: str,
    target: str,
    statements: Sequence[str],
    hazards: Sequence[Sequence[Hazard]] = (),
    elapsed: float = 0.0,
    stats: dict[str, TableStats] | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """The stable JSON object."""
    doc: dict[str, Any] = {
        "format_version": JSON_FORMAT_VERSION,
        "in_sync": in_sync,
        "source": {"label": source},
        "target": {"label": target},
        "statement_count": len(statements),
        "statements": [
            {
                "index": i + 1,
                "sql": s,
                "hazards": [
                    hazard_dict(h, stats) for h in (hazards[i] if i < len(hazards) else ())
                ],
            }
            for i, s in enumerate(statements)
        ],
        "elapsed_seconds": round(elapsed, 3),
    }
    if extra:
        doc.update(extra)
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_text(
    *,
    in_sync: bool,
    source: str,
    target: str,
    statements: Sequence[str],
    hazards: Sequence[Sequence[Hazard]] = (),
    stats: dict[str, TableStats] | None = None,
    verdict: str | None = None,
) -> str:
    """A PR comment: summary line, hazards table with sizes, fenced SQL, rehearsal verdict."""
    if in_sync:
        return f"### diffcheck: in sync\n\n`{_md_escape(source)}` matches `{_md_escape(target)}`.\n"
    flat = [(i + 1, h) for i, hz in enumerate(hazards) for h in hz]
    lines = [
        "### diffcheck: schema differs",
        "",
        f"**{len(statements)} statement(s)** turn `{_md_escape(source)}` into "
        f"`{_md_escape(target)}`; {len(flat)} hazard(s).",
        "",
    ]
    if verdict:
        lines += [f"Rehearsal: **{verdict}**", ""]
    if flat:
        lines += ["| # | hazard | object | table size |", "|---|---|---|---|"]
        for idx, h in flat:
            size = describe_size(stats[h.table]) if stats and h.table in stats else ""
            lines.append(f"| {idx} | `{h.code}` | {_md_escape(h.message)} | {size} |")
        lines.append("")
    lines += ["```sql", sql_text(statements, hazards, stats).rstrip("\n"), "```", ""]
    return "\n".join(lines)


def _gh_escape(text: str) -> str:
    # GitHub workflow commands need %, CR and LF escaped in the message part.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_escape(text).replace(":", "%3A").replace(",", "%2C")


def github_text(
    statements: Sequence[str],
    hazards: Sequence[Sequence[Hazard]] = (),
    provenance: Sequence[tuple[str, int] | None] = (),
    level: str = "error",
) -> str:
    """``::error`` workflow annotations, one per statement, on file:line where known."""
    out = []
    for i, s in enumerate(statements):
        hz = hazards[i] if i < len(hazards) else ()
        where = provenance[i] if i < len(provenance) else None
        props = [f"title={_gh_prop('diffcheck: schema drift')}"]
        if where:
            props.insert(0, f"line={where[1]}")
            props.insert(0, f"file={_gh_prop(where[0])}")
        codes = f" [{', '.join(h.code for h in hz)}]" if hz else ""
        out.append(f"::{level} {','.join(props)}::{_gh_escape(s + codes)}")
    return "\n".join(out) + ("\n" if out else "")
