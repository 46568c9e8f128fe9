"""Rewrite index DDL into its CONCURRENTLY form for `--online` apply mode, via pglast's AST."""

from __future__ import annotations

from typing import Any

import pglast
from pglast import ast
from pglast.enums import DropBehavior, ObjectType
from pglast.stream import RawStream

from diffcheck.hazards import UnsafeStatementError, parse_one


def _split(parts: Any) -> tuple[str, str]:
    """(schema, name) from a tuple of String nodes; unqualified names are taken as public."""
    names = [p.sval for p in parts]
    return ("public", names[0]) if len(names) == 1 else (names[-2], names[-1])


def _single_drop_index(stmt: Any) -> Any:
    """The one index a plain DROP INDEX names, or None for any other statement."""
    if isinstance(stmt, ast.DropStmt) and stmt.removeType == ObjectType.OBJECT_INDEX:
        if stmt.objects and len(stmt.objects) == 1:
            return stmt.objects[0]
    return None


def make_online(statement: str) -> str | None:
    """CONCURRENTLY form of a CREATE INDEX / DROP INDEX statement, or None if there is none."""
    stmt: Any = parse_one(statement).stmt
    if isinstance(stmt, ast.IndexStmt):
        # ON ONLY is how pg_get_indexdef spells an index on a partitioned parent, and
        # PostgreSQL cannot build those concurrently.
        if stmt.concurrent or stmt.relation is None or not stmt.relation.inh:
            return None
    elif _single_drop_index(stmt) is not None:
        # DROP INDEX CONCURRENTLY accepts exactly one index and rejects CASCADE.
        if stmt.concurrent or stmt.behavior == DropBehavior.DROP_CASCADE:
            return None
    else:
        return None
    stmt.concurrent = True
    out: str = RawStream()(stmt)
    # Deparsing must not change meaning: the text has to parse back to the very same tree.
    reparsed = pglast.parse_sql(out)
    if len(reparsed) != 1 or reparsed[0].stmt != stmt:
        raise UnsafeStatementError(f"deparsed statement does not round-trip: {out}")
    return out


def index_target(statement: str) -> tuple[str, str] | None:
    """(schema, table) a CREATE INDEX builds on, or (schema, index) a DROP INDEX removes."""
    stmt: Any = parse_one(statement).stmt
    if isinstance(stmt, ast.IndexStmt) and stmt.relation is not None:
        return stmt.relation.schemaname or "public", str(stmt.relation.relname)
    dropped = _single_drop_index(stmt)
    return _split(dropped) if dropped is not None else None


def index_name(statement: str) -> tuple[str, str] | None:
    """(schema, index) a named CREATE INDEX creates; an index lives in its table's schema."""
    stmt: Any = parse_one(statement).stmt
    if isinstance(stmt, ast.IndexStmt) and stmt.idxname and stmt.relation is not None:
        return stmt.relation.schemaname or "public", stmt.idxname
    return None
