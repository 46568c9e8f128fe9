"""Classify migra-generated PostgreSQL DDL into stable hazard codes, using pglast's parser only.

A statement alone does not say what a column's type was, so ALTER COLUMN ... TYPE is judged
against `column_types` ("schema.table.column" -> current type as SQL, e.g. schemainspect's
dbtypestr); without it the change is assumed to rewrite the table and possibly lose data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pglast
from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType as CT
from pglast.enums import FunctionParameterMode as PM
from pglast.enums import ObjectType as OT
from pglast.enums import ReindexObjectType as RT
from pglast.parser import ParseError

from . import stmtkinds

HAZARD_CODES: tuple[str, ...] = (
    "DELETES_DATA",
    "MODIFIES_DATA",
    "UNKNOWN_STATEMENT",
    "REWRITES_TABLE",
    "BLOCKS_WRITES",
    "BLOCKS_READS",
    "BUILDS_INDEX",
    "SCANS_TABLE",
    "RECREATES_OBJECT",
    "CHANGES_PRIVILEGES",
    "REQUIRES_REBUILD",
    "NON_TRANSACTIONAL",
)


class UnsafeStatementError(ValueError):
    """The text is not exactly one parseable SQL statement."""


@dataclass(frozen=True)
class Hazard:
    """One risk of one statement, with the existing relation it affects."""

    code: str
    message: str
    table: str | None  # existing relation as "schema.name" (for DROP INDEX: the index)


@dataclass(frozen=True)
class TableStats:
    """Planner row estimate (pg_class.reltuples, never negative) and pg_total_relation_size."""

    rows: int
    bytes: int


# Lock levels that matter here; what they conflict with decides the codes (PG15 lock table).
_AEL, _SREL, _SL = "ACCESS EXCLUSIVE", "SHARE ROW EXCLUSIVE", "SHARE"
_SUEL = "SHARE UPDATE EXCLUSIVE"
_LOCK_CODES = {
    _AEL: ("BLOCKS_READS", "BLOCKS_WRITES"),
    "EXCLUSIVE": ("BLOCKS_WRITES",),
    _SREL: ("BLOCKS_WRITES",),
    _SL: ("BLOCKS_WRITES",),
    _SUEL: (),
}
# ALTER TABLE subforms taking less than ACCESS EXCLUSIVE (PG15 AlterTableGetLockLevel); any
# other subform gets ACCESS EXCLUSIVE, which is PostgreSQL's own default as well.
_AT_LOCKS = {
    **dict.fromkeys(
        (
            AT.AT_SetStatistics,
            AT.AT_SetOptions,
            AT.AT_ResetOptions,
            AT.AT_ClusterOn,
            AT.AT_DropCluster,
            AT.AT_ValidateConstraint,
            AT.AT_AttachPartition,
            AT.AT_DetachPartitionFinalize,
        ),
        _SUEL,
    ),
    **dict.fromkeys(
        (
            AT.AT_EnableTrig,
            AT.AT_EnableAlwaysTrig,
            AT.AT_EnableReplicaTrig,
            AT.AT_EnableTrigAll,
            AT.AT_EnableTrigUser,
            AT.AT_DisableTrig,
            AT.AT_DisableTrigAll,
            AT.AT_DisableTrigUser,
        ),
        _SREL,
    ),
}
_REWRITING_AT = {AT.AT_SetLogged, AT.AT_SetUnLogged, AT.AT_SetTableSpace, AT.AT_SetAccessMethod}
_PRIVILEGE_AT = {
    AT.AT_EnableRowSecurity,
    AT.AT_DisableRowSecurity,
    AT.AT_ForceRowSecurity,
    AT.AT_NoForceRowSecurity,
    AT.AT_ChangeOwner,
}
# Storage parameters changed under SHARE UPDATE EXCLUSIVE (besides autovacuum_*); others need more.
_LIGHT_RELOPTS = {
    "fillfactor",
    "toast_tuple_target",
    "parallel_workers",
    "vacuum_index_cleanup",
    "vacuum_truncate",
    "log_autovacuum_min_duration",
    "deduplicate_items",
    "fastupdate",
    "gin_pending_list_limit",
    "pages_per_range",
    "autosummarize",
}
# CREATE FUNCTION defaults to VOLATILE, so an unknown function in a new column's default is
# assumed volatile (a rewrite); these built-ins are stable/immutable and keep the fast default.
_NONVOLATILE_FUNCS = {
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "timezone",
    "current_setting",
    "current_database",
    "current_schema",
    "lower",
    "upper",
    "btrim",
    "ltrim",
    "rtrim",
    "concat",
    "concat_ws",
    "length",
    "abs",
    "round",
    "to_json",
    "to_jsonb",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
    "make_interval",
    "make_date",
    "make_timestamp",
    "make_timestamptz",
    "date_trunc",
    "to_timestamp",
    "to_date",
    "md5",
}
_SERIALS = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}
# Work on a table created earlier in the same plan cannot block or scan anyone's data.
_NEW_TABLE_CODES = {
    "BLOCKS_READS",
    "BLOCKS_WRITES",
    "BUILDS_INDEX",
    "SCANS_TABLE",
    "REWRITES_TABLE",
}
_NON_TRANSACTIONAL = {
    "CreatedbStmt",
    "DropdbStmt",
    "AlterSystemStmt",
    "CreateTableSpaceStmt",
    "DropTableSpaceStmt",
}
# LOCK TABLE's mode numbers (lockdefs.h) for the levels that block anyone.
_LOCK_MODES = {5: _SL, 6: _SREL, 7: "EXCLUSIVE", 8: _AEL}
_PRIVILEGE_STMTS = {"GrantStmt", "GrantRoleStmt", "AlterDefaultPrivilegesStmt", "AlterOwnerStmt"}

_Rel = tuple[str, str]


def _q(*parts: str) -> str:
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def _names(obj: Any) -> list[str]:
    """Name parts of a RangeVar, TypeName, ObjectWithArgs, String or tuple of String."""
    if isinstance(obj, ast.RangeVar):
        return [obj.schemaname or "public", obj.relname or ""]
    obj = getattr(obj, "names", None) or getattr(obj, "objname", None) or obj
    parts = [s.sval for s in (obj if isinstance(obj, tuple | list) else (obj,))]
    # Unqualified names resolve through search_path; migra always qualifies, so assume public.
    return ["public", *parts] if len(parts) == 1 else parts


def _rel(obj: Any) -> _Rel:
    parts = _names(obj)
    return parts[-2], parts[-1]


def _walk(node: Any) -> Iterator[Any]:
    if isinstance(node, tuple | list):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, ast.Node):
        yield node
        for attr in node.__slots__:  # type: ignore[attr-defined]
            yield from _walk(getattr(node, attr, None))


class _Out:
    """Collects the hazards of one statement."""

    def __init__(self, column_types: Mapping[str, str] | None) -> None:
        self.items: list[Hazard] = []
        self.column_types = column_types or {}

    def add(self, code: str, message: str, rel: _Rel | None = None) -> None:
        self.items.append(Hazard(code, message, ".".join(rel) if rel else None))

    def lock(self, level: str, rel: _Rel, why: str) -> None:
        for code in _LOCK_CODES[level]:
            self.add(code, f"{why} takes {level} lock on {_q(*rel)}", rel)


# ---- column type changes: (type name, typmods, array dimensions) ---------------------------

_TypeDesc = tuple[str, tuple[Any, ...], int]
_LENGTH_TYPES = {
    "varchar": ("s", True),
    "text": ("s", True),
    "bpchar": ("s", False),
    "varbit": ("b", True),
    "bit": ("b", False),
}  # (family, variable length?)
_INT_DIGITS = {"int2": 5, "int4": 10, "int8": 19}
_NUMBERS = {*_INT_DIGITS, "numeric", "float4", "float8"}
_SAFE_NUMBER_CASTS = {
    ("float4", "float8"),
    ("int2", "float4"),
    ("int2", "float8"),
    ("int4", "float8"),
}
_DATETIMES = {"date", "timestamp", "timestamptz"}


def _desc(tn: Any) -> _TypeDesc:
    mods = tuple(
        getattr(m.val, "ival", getattr(m.val, "sval", None))
        if isinstance(m, ast.A_Const)
        else repr(m)
        for m in tn.typmods or ()
    )
    return tn.names[-1].sval, mods, len(tn.arrayBounds or ())


def _parse_type(text: str) -> _TypeDesc | None:
    """Normalise a type spelled as SQL (e.g. format_type output) with the parser itself."""
    try:
        return _desc(parse_one(f"select null::{text}").stmt.targetList[0].val.typeName)
    except (UnsafeStatementError, AttributeError, IndexError, TypeError):
        return None


def _type_change(old: _TypeDesc, new: _TypeDesc) -> tuple[bool, bool]:
    """(rewrites, narrows) for changing a column's type from old to new."""
    (on, om, od), (nn, nm, nd) = old, new
    if od != nd:
        return True, True
    if (on, om) == (nn, nm):
        return False, False
    if od:  # arrays are only relabelled (no rewrite) when the element typmod is unchanged
        rewrites, narrows = _type_change((on, om, 0), (nn, nm, 0))
        return rewrites or om != nm, narrows
    ofam, nfam = _LENGTH_TYPES.get(on), _LENGTH_TYPES.get(nn)
    if ofam and nfam and ofam[0] == nfam[0]:
        olen, nlen = (om[0] if om else None), (nm[0] if nm else None)
        narrows = nlen is not None and (olen is None or nlen < olen)
        # Only variable-length types are binary-coercible; fixed-length ones pad or trim values.
        return not (ofam[1] and nfam[1]) or narrows, narrows
    if on == nn == "numeric":
        if not nm or not om:  # dropping the constraint is free, adding one checks every row
            return bool(nm), bool(nm)
        (op, os), (np, ns) = (*om, 0)[:2], (*nm, 0)[:2]
        return not (ns == os and np >= op), ns < os or np - ns < op - os
    if on == nn and on in {"timestamp", "timestamptz", "time", "timetz"}:  # typmod = precision
        narrows = bool(nm) and (not om or nm[0] < om[0])
        return narrows, narrows
    if on in _NUMBERS and nn in _NUMBERS:
        if on in _INT_DIGITS and nn in _INT_DIGITS:
            return True, _INT_DIGITS[nn] < _INT_DIGITS[on]
        if on in _INT_DIGITS and nn == "numeric":
            return True, bool(nm) and nm[0] - (*nm, 0)[1] < _INT_DIGITS[on]
        if on == "numeric" and nn in _INT_DIGITS:
            return True, not (om and (*om, 0)[1] == 0 and om[0] < _INT_DIGITS[nn])
        return True, (on, nn) not in _SAFE_NUMBER_CASTS
    if on in _DATETIMES and nn in _DATETIMES:
        return True, nn == "date"
    return True, {on, nn} != {"time", "timetz"}  # any other family change may lose values


def _alter_type(cmd: Any, rel: _Rel, out: _Out) -> None:
    col, new = _q(*rel, cmd.name), _desc(cmd.def_.typeName)
    known = out.column_types.get(f"{rel[0]}.{rel[1]}.{cmd.name}")
    old = _parse_type(known) if known else None
    rewrites, narrows = _type_change(old, new) if old else (True, True)
    using = cmd.def_.raw_default
    if isinstance(using, ast.TypeCast) and _desc(using.typeName) == new:
        using = using.arg
    # A USING other than the column itself (or its cast to the new type) is evaluated per row.
    if using is not None and [getattr(f, "sval", None) for f in getattr(using, "fields", ())] != [
        cmd.name
    ]:
        rewrites = True
    note = "" if old else " (old type unknown)"
    if narrows:
        out.add("DELETES_DATA", f"may narrow column {col}{note}", rel)
    if rewrites:
        out.add("REWRITES_TABLE", f"changes type of column {col}{note}", rel)


# ---- per-statement rules -------------------------------------------------------------------


def _constraint(con: Any, rel: _Rel, out: _Out) -> str:
    """Hazards of adding a constraint to an existing table; returns the lock level it needs."""
    what = f"constraint {_q(con.conname)}" if con.conname else "a constraint"
    if con.contype in (CT.CONSTR_PRIMARY, CT.CONSTR_UNIQUE, CT.CONSTR_EXCLUSION):
        if not con.indexname:
            out.add("BUILDS_INDEX", f"builds an index on {_q(*rel)} for {what}", rel)
        return _AEL
    if con.contype in (CT.CONSTR_CHECK, CT.CONSTR_FOREIGN) and not con.skip_validation:
        out.add("SCANS_TABLE", f"scans {_q(*rel)} to validate {what}", rel)
    if con.contype == CT.CONSTR_FOREIGN:
        # A foreign key adds triggers to both tables, so the referenced table is locked too.
        out.lock(_SREL, _rel(con.pktable), f"foreign key {what} on {_q(*rel)}")
        return _SREL
    return _AEL


def _add_column(coldef: Any, rel: _Rel, out: _Out) -> None:
    rewrite = coldef.typeName.names[-1].sval in _SERIALS
    for con in coldef.constraints or ():
        if con.contype in (CT.CONSTR_IDENTITY, CT.CONSTR_GENERATED):
            rewrite = True  # every existing row needs a freshly computed value
        elif con.contype == CT.CONSTR_DEFAULT:
            rewrite |= any(
                isinstance(n, ast.FuncCall) and _names(n.funcname)[-1] not in _NONVOLATILE_FUNCS
                for n in _walk(con.raw_expr)
            )
        elif con.contype not in (CT.CONSTR_NULL, CT.CONSTR_NOTNULL):
            _constraint(con, rel, out)
    if rewrite:
        col = _q(*rel, coldef.colname)
        out.add("REWRITES_TABLE", f"adds column {col} whose value is computed per row", rel)


def _alter_table(stmt: Any, out: _Out) -> None:
    rel, kind = _rel(stmt.relation), stmt.objtype.name.removeprefix("OBJECT_").lower()
    for cmd in stmt.cmds:
        sub, level = cmd.subtype, _AT_LOCKS.get(cmd.subtype, _AEL)
        if sub == AT.AT_AddColumn:
            _add_column(cmd.def_, rel, out)
        elif sub == AT.AT_DropColumn:
            out.add("DELETES_DATA", f"drops column {_q(*rel, cmd.name)}", rel)
        elif sub == AT.AT_AlterColumnType:
            _alter_type(cmd, rel, out)
        elif sub == AT.AT_SetNotNull:
            out.add("SCANS_TABLE", f"scans {_q(*rel)} to check {_q(cmd.name)} has no nulls", rel)
        elif sub == AT.AT_AddConstraint:
            level = _constraint(cmd.def_, rel, out)
        elif sub == AT.AT_ValidateConstraint:
            out.add("SCANS_TABLE", f"scans {_q(*rel)} to validate {_q(cmd.name)}", rel)
        elif sub in _REWRITING_AT:
            out.add("REWRITES_TABLE", f"rewrites {kind} {_q(*rel)}", rel)
        elif sub in _PRIVILEGE_AT:
            out.add("CHANGES_PRIVILEGES", f"changes access control of {_q(*rel)}", rel)
        elif sub in (AT.AT_SetRelOptions, AT.AT_ResetRelOptions):
            opts = {d.defname.removeprefix("toast.") for d in cmd.def_}
            if all(o in _LIGHT_RELOPTS or o.startswith("autovacuum_") for o in opts):
                level = _SUEL
        elif sub == AT.AT_AttachPartition and stmt.objtype == OT.OBJECT_TABLE:
            part = _rel(cmd.def_.name)
            out.add("SCANS_TABLE", f"scans {_q(*part)} to check its partition bound", part)
            out.lock(_AEL, part, "ATTACH PARTITION")
        elif sub == AT.AT_DetachPartition:
            part = _rel(cmd.def_.name)
            out.add("DELETES_DATA", f"detaches partition {_q(*part)} from {_q(*rel)}", rel)
            if cmd.def_.concurrent:
                out.add("NON_TRANSACTIONAL", f"detaches {_q(*part)} concurrently", rel)
                level = _SUEL
            else:
                out.lock(_AEL, part, "DETACH PARTITION")
        out.lock(level, rel, f"ALTER {kind.upper()}")


def _drop(stmt: Any, out: _Out) -> None:
    kind = stmt.removeType
    label = kind.name.removeprefix("OBJECT_").lower().replace("matview", "materialized view")
    for obj in stmt.objects:
        name = _q(obj.sval) if kind == OT.OBJECT_SCHEMA else _q(*_names(obj))
        if kind in (OT.OBJECT_TABLE, OT.OBJECT_FOREIGN_TABLE, OT.OBJECT_MATVIEW):
            out.add("DELETES_DATA", f"drops {label} {name}", _rel(obj))
            out.lock(_AEL, _rel(obj), "DROP")
        elif kind in (OT.OBJECT_SCHEMA, OT.OBJECT_TYPE, OT.OBJECT_DOMAIN, OT.OBJECT_SEQUENCE):
            out.add("DELETES_DATA", f"drops {label} {name}")
        elif kind == OT.OBJECT_INDEX and stmt.concurrent:
            out.add("NON_TRANSACTIONAL", f"drops index {name} concurrently", _rel(obj))
        elif kind == OT.OBJECT_INDEX:
            out.lock(_AEL, _rel(obj), "DROP INDEX (on the index and its table)")
        elif kind in (OT.OBJECT_TRIGGER, OT.OBJECT_RULE, OT.OBJECT_POLICY):
            table = (obj[-3].sval, obj[-2].sval) if len(obj) > 2 else ("public", obj[0].sval)
            out.lock(_AEL, table, f"DROP {label.upper()} {obj[-1].sval}")
            if kind == OT.OBJECT_POLICY:
                out.add("CHANGES_PRIVILEGES", f"drops policy {obj[-1].sval}", table)


def _other(stmt: Any, out: _Out) -> None:
    """Rules for the remaining statement kinds, each a few lines."""
    # Dispatch on the class name: pglast declares every field optional, and this keeps `Any`.
    name = type(stmt).__name__
    rel = _rel(stmt.relation) if getattr(stmt, "relation", None) is not None else None
    if name == "IndexStmt" and rel:
        if stmt.concurrent:
            out.add("NON_TRANSACTIONAL", f"builds an index on {_q(*rel)} concurrently", rel)
            return
        out.lock(_SL, rel, "CREATE INDEX")
        if stmt.relation.inh:  # ON ONLY (pg_get_indexdef's form for partitioned parents) is free
            out.add("BUILDS_INDEX", f"builds index {stmt.idxname or ''} on {_q(*rel)}", rel)
    elif name == "CreateStmt" and rel:
        if stmt.partbound is not None:
            for parent in stmt.inhRelations or ():
                out.lock(_AEL, _rel(parent), f"creating partition {_q(*rel)}")
        for node in _walk(stmt.tableElts):  # only existing referenced tables are affected
            if isinstance(node, ast.Constraint) and node.contype == CT.CONSTR_FOREIGN:
                if _rel(node.pktable) != rel:
                    out.lock(_SREL, _rel(node.pktable), f"foreign key from new table {_q(*rel)}")
    elif name == "TruncateStmt":
        for rv in stmt.relations:
            out.add("DELETES_DATA", f"truncates {_q(*_rel(rv))}", _rel(rv))
            out.lock(_AEL, _rel(rv), "TRUNCATE")
    elif name in _PRIVILEGE_STMTS:
        rels: list[_Rel | None] = [
            _rel(o) for o in getattr(stmt, "objects", None) or () if isinstance(o, ast.RangeVar)
        ]
        verb = "revokes" if getattr(stmt, "is_grant", True) is False else "changes"
        for r in rels or [None]:
            where = f" on {_q(*r)}" if r else f" ({name.removesuffix('Stmt')})"
            out.add("CHANGES_PRIVILEGES", f"{verb} privileges{where}", r)
    elif name in ("CreatePolicyStmt", "AlterPolicyStmt"):
        out.add("CHANGES_PRIVILEGES", f"changes policy {stmt.policy_name}", _rel(stmt.table))
        out.lock(_AEL, _rel(stmt.table), "CREATE/ALTER POLICY")
    elif name == "CreateTrigStmt" and rel:
        out.lock(_SREL, rel, "CREATE TRIGGER")
    elif name == "RefreshMatViewStmt" and rel and not stmt.concurrent:
        # A materialized view takes no writes, so only its readers are affected.
        out.add("BLOCKS_READS", f"REFRESH takes {_AEL} lock on {_q(*rel)}", rel)
    elif name == "ReindexStmt":
        concurrent = any(d.defname == "concurrently" for d in stmt.params or ())
        if concurrent or stmt.kind not in (RT.REINDEX_OBJECT_INDEX, RT.REINDEX_OBJECT_TABLE):
            out.add("NON_TRANSACTIONAL", "this REINDEX cannot run in a transaction block", rel)
        elif rel:
            out.add("BUILDS_INDEX", f"rebuilds indexes of {_q(*rel)}", rel)
            # ACCESS EXCLUSIVE on an index stalls reads too: planning opens every index.
            out.lock(_AEL, rel, "REINDEX")
    elif name == "VacuumStmt" and stmt.is_vacuumcmd:  # plain ANALYZE is fine
        out.add("NON_TRANSACTIONAL", "VACUUM cannot run in a transaction block")
    elif name in _NON_TRANSACTIONAL:
        out.add("NON_TRANSACTIONAL", f"{name} cannot run in a transaction block")
    elif name == "LockStmt" and stmt.mode in _LOCK_MODES:  # a DBA's hand-added LOCK TABLE
        for rv in stmt.relations or ():
            out.lock(_LOCK_MODES[stmt.mode], _rel(rv), "LOCK TABLE")


def _finish(items: Iterable[Hazard]) -> list[Hazard]:
    """Deduplicate on (code, table), keeping the first message, and sort in code order."""
    seen: dict[tuple[str, str | None], Hazard] = {}
    for h in items:
        seen.setdefault((h.code, h.table), h)
    return sorted(seen.values(), key=lambda h: HAZARD_CODES.index(h.code))


def _classify_node(stmt: Any, column_types: Mapping[str, str] | None) -> list[Hazard]:
    out = _Out(column_types)
    if isinstance(stmt, ast.AlterTableStmt):
        _alter_table(stmt, out)
    elif isinstance(stmt, ast.DropStmt):
        _drop(stmt, out)
    else:
        _other(stmt, out)
    # Hand-added statements: data changes anywhere in the statement, and any kind that is
    # not schema DDL, carry a hazard the approver must name.
    for code, message, rel in stmtkinds.data_hazards(stmt):
        out.add(code, message, rel)
    if not stmtkinds.is_known(stmt):
        out.add("UNKNOWN_STATEMENT", stmtkinds.unknown_message(stmt))
    return _finish(out.items)


def parse_one(statement: str) -> Any:
    """Parse text that must hold exactly one SQL statement, returning its pglast RawStmt."""
    try:
        stmts = pglast.parse_sql(statement)
    except ParseError as exc:
        raise UnsafeStatementError(f"cannot parse statement: {exc}") from exc
    if len(stmts) != 1:
        raise UnsafeStatementError(f"expected exactly one statement, found {len(stmts)}")
    return stmts[0]


def classify(statement: str, column_types: Mapping[str, str] | None = None) -> list[Hazard]:
    """Hazards of one statement; column_types maps "schema.table.column" to its current type."""
    return _classify_node(parse_one(statement).stmt, column_types)


def is_transactional(statement: str) -> bool:
    """Whether the statement may run inside a transaction block."""
    return all(h.code != "NON_TRANSACTIONAL" for h in classify(statement))


# ---- whole plans ---------------------------------------------------------------------------

_Key = tuple[str, str, str]  # (kind, schema, name)
_KINDS = {
    OT.OBJECT_VIEW: "view",
    OT.OBJECT_MATVIEW: "view",
    OT.OBJECT_FUNCTION: "function",
    OT.OBJECT_PROCEDURE: "function",
    OT.OBJECT_ROUTINE: "function",
    OT.OBJECT_TYPE: "type",
    OT.OBJECT_DOMAIN: "type",
}
_TYPE_CREATES = {
    "CreateEnumStmt": "typeName",
    "CreateRangeStmt": "typeName",
    "CompositeTypeStmt": "typevar",
    "CreateDomainStmt": "domainname",
}


def _signature(params: Iterable[Any]) -> tuple[tuple[str, int], ...]:
    """Input argument types, which identify a routine (OUT arguments do not)."""
    return tuple(
        _desc(p.argType)[::2]
        for p in params
        if p.mode not in (PM.FUNC_PARAM_OUT, PM.FUNC_PARAM_TABLE)
    )


def _drops(stmt: Any) -> list[tuple[_Key, Any]]:
    """Objects a statement takes away from their name, with input signature (None: any)."""
    if isinstance(stmt, ast.RenameStmt) and stmt.renameType == OT.OBJECT_TYPE:
        return [(("type", *_rel(stmt.object)), None)]
    if not isinstance(stmt, ast.DropStmt) or stmt.removeType not in _KINDS:
        return []
    found = []
    for obj in stmt.objects or ():
        sig = None
        if isinstance(obj, ast.ObjectWithArgs) and not obj.args_unspecified:
            sig = (
                _signature(obj.objfuncargs)
                if obj.objfuncargs is not None
                else tuple(_desc(t)[::2] for t in obj.objargs or ())
            )
        found.append(((_KINDS[stmt.removeType], *_rel(obj)), sig))
    return found


def _creates(stmt: Any) -> tuple[_Key, Any] | None:
    """The view, routine or type a statement creates, with its input signature."""
    name = type(stmt).__name__
    if name == "ViewStmt":
        return ("view", *_rel(stmt.view)), None
    if name == "CreateTableAsStmt" and stmt.objtype == OT.OBJECT_MATVIEW:
        return ("view", *_rel(stmt.into.rel)), None
    if name == "CreateFunctionStmt":
        return ("function", *_rel(stmt.funcname)), _signature(stmt.parameters or ())
    if name in _TYPE_CREATES:
        return ("type", *_rel(getattr(stmt, _TYPE_CREATES[name]))), None
    if name == "DefineStmt" and stmt.kind == OT.OBJECT_TYPE:
        return ("type", *_rel(stmt.defnames)), None
    return None


def classify_plan(
    statements: list[str], column_types: Mapping[str, str] | None = None
) -> list[list[Hazard]]:
    """Hazards per statement of a plan, adding RECREATES_OBJECT and skipping new tables' locks."""
    nodes = [parse_one(s).stmt for s in statements]
    result = [_classify_node(n, column_types) for n in nodes]
    new_relations: set[str | None] = set()
    dropped: list[tuple[int, _Key, Any]] = []
    recreated: set[_Key] = set()
    old_versions: dict[_Rel, _Rel] = {}  # migra renames an enum away before recreating it
    for i, node in enumerate(nodes):
        hazards = [
            h for h in result[i] if not (h.table in new_relations and h.code in _NEW_TABLE_CODES)
        ]
        created = _creates(node)
        for j, key, sig in dropped:
            if created and key == created[0] and (sig is None or sig == created[1]):
                msg = f"drops and recreates {key[0]} {_q(*key[1:])}"
                result[j] = _finish([*result[j], Hazard("RECREATES_OBJECT", msg, None)])
                hazards.append(Hazard("RECREATES_OBJECT", msg, None))
                recreated.add(key)
        for key, sig in _drops(node):
            dropped.append((i, key, sig))
            original = old_versions.get((key[1], key[2]))
            if key[0] == "type" and original and ("type", *original) in recreated:
                # Dropping the renamed-away old enum loses nothing once its columns moved over.
                if node.behavior.name != "DROP_CASCADE":
                    hazards = [h for h in hazards if h.code != "DELETES_DATA"]
                msg = f"drops the old version of recreated type {_q(*original)}"
                hazards.append(Hazard("RECREATES_OBJECT", msg, None))
        name = type(node).__name__
        if name == "RenameStmt" and node.renameType == OT.OBJECT_TYPE:
            old_versions[_rel(node.object)[0], node.newname] = _rel(node.object)
        elif name in ("CreateStmt", "CreateTableAsStmt"):
            target = node.into.rel if name == "CreateTableAsStmt" else node.relation
            new_relations.add(".".join(_rel(target)))
        elif name == "IndexStmt" and node.idxname:
            new_relations.add(f"{_rel(node.relation)[0]}.{node.idxname}")
        result[i] = _finish(hazards)
    return result


# ---- sizes ---------------------------------------------------------------------------------


def table_stats(conn: Any, tables: Iterable[str]) -> dict[str, TableStats]:
    """Estimated rows and total size of existing "schema.name" relations, in one query."""
    from psycopg2 import sql  # imported lazily: classifying statements never needs the driver

    pairs = [t.split(".", 1) if "." in t else ["public", t] for t in dict.fromkeys(tables)]
    if not pairs:
        return {}
    query = sql.SQL(
        "select n.nspname, c.relname, greatest(c.reltuples, 0)::bigint,"
        " pg_catalog.pg_total_relation_size(c.oid)"
        " from pg_catalog.pg_class c"
        " join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
        " join unnest({schemas}::text[], {names}::text[]) as w(s, r)"
        " on n.nspname = w.s and c.relname = w.r"
    ).format(schemas=sql.Placeholder("s"), names=sql.Placeholder("r"))
    with conn.cursor() as cur:
        cur.execute(query, {"s": [p[0] for p in pairs], "r": [p[1] for p in pairs]})
        return {f"{s}.{r}": TableStats(int(rows), int(size)) for s, r, rows, size in cur}


def describe_size(stats: TableStats) -> str:
    """Human summary such as "~1.2M rows, 340 MB"."""
    rows, suffix = float(stats.rows), ""
    for unit in ("K", "M", "B"):
        if rows < 999.95:  # so that 999,960 reads "~1M", not "~1000.0K"
            break
        rows, suffix = rows / 1000, unit
    count = f"{rows:.1f}".removesuffix(".0") if suffix else str(stats.rows)
    size, unit = stats.bytes, "bytes"
    for bigger in ("kB", "MB", "GB", "TB"):  # same thresholds and rounding as pg_size_pretty
        if abs(size) < 10 * 1024:
            break
        size, unit = (size + 512) // 1024, bigger
    return f"~{count}{suffix} rows, {size} {unit}"


def altered_columns(statements: list[str]) -> set[str]:
    """ "schema.table.column" of every column whose type the statements change: the columns
    whose current types a plan must record to tell widening from narrowing."""
    out: set[str] = set()
    for s in statements:
        node = parse_one(s).stmt
        if not isinstance(node, ast.AlterTableStmt) or node.relation is None:
            continue
        schema = node.relation.schemaname or "public"
        for cmd in node.cmds or ():
            if getattr(cmd, "subtype", None) == AT.AT_AlterColumnType:
                out.add(f"{schema}.{node.relation.relname}.{cmd.name}")
    return out
