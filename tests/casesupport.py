"""Support for the case-pair acceptance tests: discovering ``tests/cases/<class>__<name>``
and comparing two databases' schemas as sets of pg_dump statements.

A dump is compared as a set of statements (pg_dump's order follows OIDs, which differ between
a migrated database and one built from scratch) with the column order of CREATE TABLE ignored
(ALTER TABLE ADD COLUMN appends, so a migrated table legitimately lists columns in another
order than the desired file). Everything else, including every clause of every statement, must
match. All parsing goes through pglast: a dump is SQL, not text to grep."""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pglast
import psycopg2
from pglast import ast
from pglast.stream import RawStream

from diffcheck import pg

CASES_DIR = Path(__file__).resolve().parent / "cases"
# diffcheck keeps its history table here on live; it is never part of a desired schema.
INTERNAL_SCHEMA = "diffcheck"
EXPECTS = ("converge", "refuse")

# Reverse-direction expectations for cases whose case.toml does not say (a ``reverse`` key in
# case.toml wins). The reverse of a refused change is usually the same kind of change the other
# way round, and just as impossible in place; the reverse of a cast-free type change can need
# a cast that PostgreSQL will not apply on its own.
REVERSE_REFUSALS = {
    "partitioned_table__regular_to_partitioned": "partitioned -> plain needs a rebuild",
    "partitioned_table__partitioned_to_regular": "plain -> partitioned needs a rebuild",
    "partitioned_table__partition_key_change": "a partition key cannot be altered",
    "partitioned_table__strategy_change": "a partition strategy cannot be altered",
    "type_change__bool_to_int": "integer -> boolean is an explicit-only cast",
    "type_change__int_to_text": "text -> integer has no assignment cast (needs USING)",
}


@dataclass(frozen=True)
class Case:
    """One before/after pair and what diffcheck must do with it in each direction."""

    name: str
    klass: str
    path: Path
    forward: str  # "converge" | "refuse": before -> after
    reverse: str  # "converge" | "refuse": after -> before
    reason: str

    @property
    def before(self) -> Path:
        return self.path / "before.sql"

    @property
    def after(self) -> Path:
        return self.path / "after.sql"

    def expect(self, mode: str) -> str:
        """The expectation for ``mode`` ("forward" or "reverse")."""
        return self.forward if mode == "forward" else self.reverse

    def files(self, mode: str) -> tuple[Path, Path]:
        """(live's starting schema, desired schema) for ``mode``."""
        return (self.before, self.after) if mode == "forward" else (self.after, self.before)


def _case(path: Path) -> Case:
    klass = path.name.split("__", 1)[0]
    meta: dict[str, Any] = {}
    toml = path / "case.toml"
    if toml.exists():
        meta = tomllib.loads(toml.read_text())
    forward = str(meta.get("expect", "converge"))
    # The reverse direction converges unless case.toml or REVERSE_REFUSALS says otherwise.
    default_reverse = "refuse" if path.name in REVERSE_REFUSALS else "converge"
    reverse = str(meta.get("reverse", default_reverse))
    for value in (forward, reverse):
        if value not in EXPECTS:
            raise ValueError(f"{toml}: expectation must be one of {EXPECTS}, got {value!r}")
    return Case(path.name, klass, path, forward, reverse, str(meta.get("reason", "")))


def list_cases(directory: Path = CASES_DIR) -> list[Case]:
    """Every complete case directory (both SQL files present), sorted by name."""
    out = []
    for p in sorted(directory.iterdir()):
        if p.is_dir() and "__" in p.name and (p / "before.sql").is_file():
            if (p / "after.sql").is_file():
                out.append(_case(p))
    return out


# -- dumps ------------------------------------------------------------------------------------


def _server_major(url: str) -> int:
    with contextlib.closing(psycopg2.connect(url)) as conn:
        return int(conn.server_version) // 10000


def _strip_meta(text: str) -> str:
    """Drop psql meta-command lines (pg_dump >= 15.14 writes ``\\restrict KEY``), which are
    not SQL and which pglast cannot parse."""
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("\\"))


def _walk(node: Any) -> Iterator[Any]:
    """Every pglast node below (and including) ``node``."""
    if isinstance(node, ast.Node):
        yield node
        for attr in node:
            yield from _walk(getattr(node, attr))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _walk(item)


def _names_internal(value: Any) -> bool:
    """A String/list of names whose first element is the internal schema."""
    if isinstance(value, list | tuple) and value:
        first = value[0]
        return isinstance(first, ast.String) and first.sval == INTERNAL_SCHEMA
    return False


def _is_internal(stmt: Any) -> bool:
    """Does the statement create or touch something in diffcheck's own schema?"""
    for node in _walk(stmt):
        if isinstance(node, ast.CreateSchemaStmt) and node.schemaname == INTERNAL_SCHEMA:
            return True
        if isinstance(node, ast.RangeVar) and node.schemaname == INTERNAL_SCHEMA:
            return True
        if isinstance(node, ast.CommentStmt):
            # COMMENT ON SCHEMA names a String, COMMENT ON TABLE/COLUMN a list of them.
            obj = node.object
            if isinstance(obj, ast.String) and obj.sval == INTERNAL_SCHEMA:
                return True
            if _names_internal(obj):
                return True
        if isinstance(node, ast.TypeName) and _names_internal(node.names):
            return True
        if isinstance(node, ast.ObjectWithArgs) and _names_internal(node.objname):
            return True
    return False


def _is_session_setting(stmt: Any) -> bool:
    """SET ... and ``SELECT pg_catalog.set_config(...)``: pg_dump's session preamble."""
    if isinstance(stmt, ast.VariableSetStmt):
        return True
    if isinstance(stmt, ast.SelectStmt) and stmt.targetList and len(stmt.targetList) == 1:
        val = stmt.targetList[0].val
        if isinstance(val, ast.FuncCall):
            return [n.sval for n in val.funcname][-1] == "set_config"
    return False


def _sort_columns(stmt: Any) -> None:
    """Sort a CREATE TABLE's column definitions by name, in place (constraints, which are
    not ordered either, are sorted by their own text and kept after the columns)."""
    if not isinstance(stmt, ast.CreateStmt) or not stmt.tableElts:
        return
    columns = [e for e in stmt.tableElts if isinstance(e, ast.ColumnDef)]
    others = [e for e in stmt.tableElts if not isinstance(e, ast.ColumnDef)]
    columns.sort(key=lambda c: c.colname)
    others.sort(key=lambda e: RawStream()(e))
    stmt.tableElts = tuple(columns + others)


def _sort_storage_options(stmt: Any) -> None:
    """Sort WITH (...) storage parameters: their order in pg_class.reloptions is the order
    they were set in, which carries no meaning."""
    if isinstance(stmt, ast.CreateStmt | ast.IndexStmt | ast.CreateTableAsStmt):
        holder = stmt.into if isinstance(stmt, ast.CreateTableAsStmt) else stmt
        opts = getattr(holder, "options", None)
        if opts:
            holder.options = tuple(sorted(opts, key=lambda d: RawStream()(d)))


def normalized_statements(script: str) -> list[str]:
    """A pg_dump script's statements, without session settings and diffcheck's own objects,
    each re-rendered from its AST (CREATE TABLE with columns sorted), sorted."""
    out = []
    for raw in pglast.parse_sql(_strip_meta(script)):
        stmt = raw.stmt
        if _is_session_setting(stmt) or _is_internal(stmt):
            continue
        _sort_columns(stmt)
        _sort_storage_options(stmt)
        out.append(RawStream()(stmt))
    return sorted(out)


def dump_statements(url: str) -> list[str]:
    """``pg_dump --schema-only --no-owner --no-privileges`` of ``url`` as a sorted list of
    normalized statements (see :func:`normalized_statements`)."""
    import subprocess

    major = _server_major(url)
    conninfo, env = pg.tool_env(url)
    proc = subprocess.run(
        [
            pg.find_tool("pg_dump", major),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "-d",
            conninfo,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {proc.stderr.strip()}")
    return normalized_statements(proc.stdout)
