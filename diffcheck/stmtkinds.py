"""Which statement kinds a plan may hold without review of what they do, and the data
hazards of the rest.

diffcheck's generator writes only schema DDL, all of which ``hazards`` understands. A plan
is hand-editable, though, so a statement of any other kind (DML, a function call, ``DO``,
``SET ROLE``, anything cluster-wide) must carry a hazard that the approver names: data
statements get ``DELETES_DATA`` or ``MODIFIES_DATA``, everything else not on the list below
gets ``UNKNOWN_STATEMENT``. The list is an allow-list on purpose: a statement kind added to
a future PostgreSQL is unknown until someone decides otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pglast
from pglast import ast
from pglast.parser import ParseError
from pglast.stream import RawStream

# Database-local DDL: what pg_dump --schema-only and diffcheck's generator write, plus the
# maintenance statements hazards.py classifies itself (REINDEX, VACUUM/ANALYZE, REFRESH).
# Cluster-wide statements (databases, roles, role membership, tablespaces, ALTER SYSTEM,
# subscriptions) are deliberately absent: a schema plan has no business there.
KNOWN_KINDS: frozenset[str] = frozenset(
    {
        "AlterCollationStmt",
        "AlterDefaultPrivilegesStmt",
        "AlterDomainStmt",
        "AlterEnumStmt",
        "AlterEventTrigStmt",
        "AlterExtensionContentsStmt",
        "AlterExtensionStmt",
        "AlterFdwStmt",
        "AlterForeignServerStmt",
        "AlterFunctionStmt",
        "AlterObjectDependsStmt",
        "AlterObjectSchemaStmt",
        "AlterOpFamilyStmt",
        "AlterOperatorStmt",
        "AlterOwnerStmt",
        "AlterPolicyStmt",
        "AlterPublicationStmt",
        "AlterSeqStmt",
        "AlterStatsStmt",
        "AlterTSConfigurationStmt",
        "AlterTSDictionaryStmt",
        "AlterTableStmt",
        "AlterTypeStmt",
        "AlterUserMappingStmt",
        "CommentStmt",
        "CompositeTypeStmt",
        "CreateAmStmt",
        "CreateCastStmt",
        "CreateConversionStmt",
        "CreateDomainStmt",
        "CreateEnumStmt",
        "CreateEventTrigStmt",
        "CreateExtensionStmt",
        "CreateFdwStmt",
        "CreateForeignServerStmt",
        "CreateForeignTableStmt",
        "CreateFunctionStmt",
        "CreateOpClassStmt",
        "CreateOpFamilyStmt",
        "CreatePLangStmt",
        "CreatePolicyStmt",
        "CreatePublicationStmt",
        "CreateRangeStmt",
        "CreateSchemaStmt",
        "CreateSeqStmt",
        "CreateStatsStmt",
        "CreateStmt",
        "CreateTableAsStmt",
        "CreateTransformStmt",
        "CreateTrigStmt",
        "CreateUserMappingStmt",
        "DefineStmt",
        "DropStmt",
        "DropUserMappingStmt",
        "GrantStmt",
        "IndexStmt",
        "LockStmt",
        "RefreshMatViewStmt",
        "ReindexStmt",
        "RenameStmt",
        "ReplicaIdentityStmt",
        "RuleStmt",
        "SecLabelStmt",
        "VacuumStmt",
        "ViewStmt",
    }
)
# migra opens a plan that creates functions with `set check_function_bodies = off`; any other
# setting (role, session_authorization, search_path, timeouts) changes how the rest runs.
KNOWN_SETTINGS = frozenset({"check_function_bodies"})

# Data statements found anywhere in a statement (a data-modifying WITH, EXPLAIN ANALYZE):
# node kind -> (hazard code, verb for the message).
_DATA = {
    "DeleteStmt": ("DELETES_DATA", "deletes rows from"),
    "UpdateStmt": ("DELETES_DATA", "updates rows of"),
    "MergeStmt": ("DELETES_DATA", "merges into"),
    "InsertStmt": ("MODIFIES_DATA", "inserts into"),
}
# Their bodies are definitions, not actions: a rule's DELETE runs only when the rule fires.
_DEFINITIONS = (ast.RuleStmt, ast.CreateFunctionStmt)

_ERROR_LEVEL = 21  # elog.h ERROR: RAISE EXCEPTION
DataHazard = tuple[str, str, tuple[str, str] | None]


def _qname(rv: Any) -> tuple[str, str]:
    return (rv.schemaname or "public", rv.relname or "")


def _quoted(rel: tuple[str, str]) -> str:
    return ".".join('"' + p.replace('"', '""') + '"' for p in rel)


def _walk(node: Any) -> Iterator[Any]:
    if isinstance(node, tuple | list):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, ast.Node) and not isinstance(node, _DEFINITIONS):
        yield node
        for attr in node.__slots__:  # type: ignore[attr-defined]
            yield from _walk(getattr(node, attr, None))


def _constant(node: Any) -> bool:
    return isinstance(node, ast.A_Const) or (
        isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const)
    )


def _is_noop_select(stmt: Any) -> bool:
    """``select 1;``: schemainspect's stand-in for an exclusion constraint's index. Only
    constants, no FROM, WITH or set operation: nothing that could call a function."""
    return (
        not stmt.fromClause
        and not stmt.withClause
        and stmt.op == 0  # SETOP_NONE
        and not stmt.valuesLists
        and not stmt.whereClause
        and all(isinstance(t, ast.ResTarget) and _constant(t.val) for t in stmt.targetList or ())
    )


def _is_refusal(stmt: Any) -> bool:
    """diffcheck's own refusal statement (fixups.common.refusal): a plpgsql DO block whose
    only statement raises an exception with constant arguments, so it can only fail."""
    options = {d.defname: getattr(d.arg, "sval", None) for d in stmt.args or ()}
    if options.get("language", "plpgsql") != "plpgsql" or not options.get("as"):
        return False
    try:
        (function,) = pglast.parse_plpgsql(RawStream()(stmt))
        block = function["PLpgSQL_function"]["action"]["PLpgSQL_stmt_block"]
        raise_, *rest = block["body"]
        raised = raise_["PLpgSQL_stmt_raise"]
        params = [p["PLpgSQL_expr"]["query"] for p in raised.get("params", ())]
        args = [pglast.parse_sql(f"select {p}")[0].stmt for p in params]
    except (ParseError, KeyError, TypeError, ValueError, IndexError):
        return False
    return (
        "exceptions" not in block
        and rest in ([], [{"PLpgSQL_stmt_return": {}}])
        and raised.get("elog_level") == _ERROR_LEVEL
        and "options" not in raised  # USING MESSAGE = <expression> could call anything
        and all(isinstance(a, ast.SelectStmt) and _is_noop_select(a) for a in args)
    )


def is_known(stmt: Any) -> bool:
    """Whether a statement kind is schema DDL diffcheck's classifier fully understands."""
    name = type(stmt).__name__
    if name == "VariableSetStmt":
        return stmt.name in KNOWN_SETTINGS
    if name == "SelectStmt":
        return _is_noop_select(stmt)
    if name == "DoStmt":
        return _is_refusal(stmt)
    # Data statements are recognised: their hazard is DELETES_DATA or MODIFIES_DATA.
    return name in KNOWN_KINDS or name in _DATA or name in ("CopyStmt", "TruncateStmt")


def kind_label(stmt: Any) -> str:
    """A readable name for a statement kind: ``SelectStmt`` -> ``SELECT``."""
    name = type(stmt).__name__.removesuffix("Stmt")
    if name == "VariableSet":
        return f"SET {stmt.name}" if stmt.name else "SET"
    return "".join(f" {c}" if c.isupper() and i else c for i, c in enumerate(name)).upper()


def data_hazards(stmt: Any) -> list[DataHazard]:
    """DELETES_DATA / MODIFIES_DATA hazards of a statement and any nested data statement."""
    out: list[DataHazard] = []
    for node in _walk(stmt):
        name = type(node).__name__
        if name in _DATA and node.relation is not None:
            code, verb = _DATA[name]
            rel = _qname(node.relation)
            out.append((code, f"{verb} {_quoted(rel)}", rel))
        elif name == "CopyStmt":
            direction = "into" if node.is_from else "out of"
            target = _qname(node.relation) if node.relation is not None else None
            where = _quoted(target) if target else "a query"
            via = "a program" if node.is_program else "a file" if node.filename else "the client"
            out.append(("MODIFIES_DATA", f"COPY moves data {direction} {where} via {via}", target))
    return out


def unknown_message(stmt: Any) -> str:
    """Why a statement is UNKNOWN_STATEMENT."""
    return (
        f"{kind_label(stmt)} is not schema DDL diffcheck understands: "
        "review what it does before allowing it"
    )
