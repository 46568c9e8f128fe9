"""Excluding tables from an adopted schema, and recording the exclusion in pyproject.toml.

Legacy migration tools keep a version table (alembic_version, schema_migrations, ...) that is
bookkeeping, not schema. ``diffcheck init`` leaves such tables out of schema/ and adds them to
``[tool.diffcheck] exclude`` so that ``check`` ignores them on live. pyproject.toml is edited
in place, one key at a time: no TOML writer is installed, and rewriting the whole file would
lose the team's comments and formatting."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .adopt_dump import Entry
from .errors import ConfigError

VERSION_TABLES = ("alembic_version", "flyway_schema_history", "schema_migrations", "schema_version")
# Kinds an exclude glob matches on their own name (as the engine filters them).
_RELATION_KINDS = {"TABLE", "VIEW", "MATERIALIZED VIEW", "SEQUENCE", "FOREIGN TABLE"}
# Entries that belong to the object they depend on whatever their name.
_ATTACHED = {
    "COMMENT",
    "ACL",
    "SECURITY LABEL",
    "INDEX",
    "INDEX ATTACH",
    "STATISTICS",
    "SEQUENCE",
    "SEQUENCE OWNED BY",
}
# Entries that belong to a table when their tag starts with the table's name.
_ON_TABLE = {
    "CONSTRAINT",
    "CHECK CONSTRAINT",
    "FK CONSTRAINT",
    "TRIGGER",
    "RULE",
    "POLICY",
    "ROW SECURITY",
    "DEFAULT",
}


@dataclass
class Exclusion:
    """What leaving some tables out of schema/ amounts to."""

    entries: list[Entry]  # the entries still to write
    excluded: list[str] = field(default_factory=list)  # "schema.table" left out
    globs: list[str] = field(default_factory=list)  # exclude globs that cover them on live
    kept: list[tuple[str, str]] = field(default_factory=list)  # (schema.table, why kept)


def qualified(entry: Entry) -> str:
    """``schema.name`` as the exclude globs spell it."""
    return f"{entry.schema}.{entry.name}"


def glob_escape(text: str) -> str:
    """A glob that matches ``text`` literally (names may contain * ? [)."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def version_tables(entries: list[Entry]) -> list[Entry]:
    """Tables named like a migration tool's version table, in any schema."""
    return [e for e in entries if e.kind == "TABLE" and e.name in VERSION_TABLES]


def matching(entries: list[Entry], globs: tuple[str, ...] | list[str]) -> list[Entry]:
    """Relations whose ``schema.name`` matches an exclude glob."""
    return [
        e
        for e in entries
        if e.kind in _RELATION_KINDS
        and e.schema is not None
        and any(fnmatch.fnmatchcase(qualified(e), g) for g in globs)
    ]


def exclude(entries: list[Entry], roots: list[Entry]) -> Exclusion:
    """Leave ``roots`` out, with everything that belongs to them (indexes, constraints,
    triggers, comments, owned sequences...). A root something else depends on (a view, a
    foreign key from a kept table) is kept: leaving it out would break loading schema/."""
    root_of: dict[int, Entry] = {r.id: r for r in roots}
    changed = True
    while changed:  # owned sequences come before their table: iterate to a fixpoint
        changed = False
        for e in entries:
            if e.id in root_of:
                continue
            owner = next((root_of[d] for d in e.deps if d in root_of), None)
            if owner is None:
                continue
            if e.kind in _ATTACHED or (
                e.kind in _ON_TABLE
                and e.schema == owner.schema
                and e.name.startswith(owner.name + " ")
            ):
                root_of[e.id] = owner
                changed = True
                if e.kind == "SEQUENCE OWNED BY":
                    for d in e.deps:  # the sequence itself
                        if d not in root_of:
                            root_of[d] = owner
    blocked: dict[int, str] = {}
    for e in entries:
        if e.id in root_of or not e.statements:
            continue
        for d in e.deps:
            if d in root_of and root_of[d].id not in blocked:
                blocked[root_of[d].id] = f"{e.label} depends on it"
    result = Exclusion(entries=[])
    for r in roots:
        if r.id in blocked:
            result.kept.append((qualified(r), blocked[r.id]))
    for e in entries:
        owner = root_of.get(e.id)
        if owner is None or owner.id in blocked:
            result.entries.append(e)
            continue
        if e.id == owner.id:
            result.excluded.append(qualified(e))
        if e.kind in _RELATION_KINDS and e.schema is not None:
            # The table, and its owned sequences, which the engine compares on their own.
            result.globs.append(glob_escape(qualified(e)))
    return result


# --- pyproject.toml ---------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\s*tool\s*\.\s*diffcheck\s*\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[\[?\s*[A-Za-z0-9_\-\"'. ]+\]\]?\s*(#.*)?$")
_EXCLUDE_KEY = re.compile(r"^\s*exclude\s*=")


def _toml_array(values: list[str]) -> str:
    # A JSON string is a valid TOML basic string (same escapes).
    items = [json.dumps(v, ensure_ascii=False) for v in values]
    one_line = "[" + ", ".join(items) + "]"
    if len(one_line) <= 80:
        return one_line
    return "[\n" + "".join(f"    {i},\n" for i in items) + "]"


def _diffcheck_table(text: str, path: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    tool = data.get("tool", {})
    table = tool.get("diffcheck") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):  # config also accepts "a, b"
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or ()]


def with_excludes(text: str | None, globs: list[str], path: Path) -> str | None:
    """pyproject text with ``globs`` added to ``[tool.diffcheck] exclude``; None if no change.

    Only the exclude key's lines change (or one table is appended); the result is parsed
    back and must equal the old settings plus the new globs, else nothing is written."""
    comment = "# Legacy migration-tool version tables: bookkeeping, not schema (diffcheck init)."
    if text is None or not text.strip():
        new = f"[tool.diffcheck]\n{comment}\nexclude = {_toml_array(globs)}\n"
        old_table: dict[str, Any] = {}
        merged = list(globs)
    else:
        table = _diffcheck_table(text, path)
        old_table = dict(table or {})
        existing = _as_list(old_table.get("exclude"))
        merged = existing + [g for g in globs if g not in existing]
        if merged == existing and "exclude" in old_table:
            return None
        line = f"exclude = {_toml_array(merged)}"
        if table is None:
            new = text.rstrip("\n") + f"\n\n[tool.diffcheck]\n{comment}\n{line}\n"
        else:
            new = _replace_key(text, line, comment, path)
    expected = {**old_table, "exclude": merged}
    if _diffcheck_table(new, path) != expected:
        raise ConfigError(
            f"{path}: could not add exclude = {_toml_array(merged)} to [tool.diffcheck] "
            "safely; add it by hand"
        )
    return new


def _replace_key(text: str, line: str, comment: str, path: Path) -> str:
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if _HEADER.match(ln)), None)
    if start is None:  # e.g. dotted keys or an inline table: not edited automatically
        raise ConfigError(
            f"{path}: [tool.diffcheck] is not a plain table header; add {line} by hand"
        )
    end = next((i for i in range(start + 1, len(lines)) if _ANY_HEADER.match(lines[i])), len(lines))
    for i in range(start + 1, end):
        if _EXCLUDE_KEY.match(lines[i]):
            # The value may span lines: take the shortest run that parses on its own.
            for j in range(i, end):
                try:
                    tomllib.loads("\n".join(lines[i : j + 1]))
                except tomllib.TOMLDecodeError:
                    continue
                return "\n".join([*lines[:i], line, *lines[j + 1 :]])
            break
    return "\n".join([*lines[: start + 1], comment, line, *lines[start + 1 :]])


def add_excludes(project_dir: str | Path, globs: list[str]) -> tuple[Path, str | None]:
    """The pyproject.toml path and its new text (None: already excluded). Writes nothing."""
    path = Path(project_dir) / "pyproject.toml"
    text = path.read_text(encoding="utf-8") if path.is_file() else None
    return path, with_excludes(text, globs, path)
