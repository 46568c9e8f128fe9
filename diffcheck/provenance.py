"""Where in the desired schema files does a generated statement come from?

``provenance(statements, files)`` maps each generated statement (migra's or diffcheck's DDL)
to the ``(display path, 1-based line)`` of the CREATE of the object it creates or changes in
the desired SQL files, so that ``--format github`` annotations land on the right line of a
pull request. Everything is done with pglast's parser and scanner, never with regexes.

How objects are identified:

* Every desired file is parsed once. Each statement is indexed under the identity of the
  object it defines: ``(kind, schema, name)`` for relations, indexes, types, functions and
  schemas; ``(schema, table, column)`` for a column, at the line of its definition inside
  the CREATE TABLE (or of an ``ALTER TABLE ... ADD COLUMN``); ``(schema, table, name)`` for
  constraints, triggers, policies and rules. COMMENT and GRANT statements are indexed too,
  so a changed comment points at the COMMENT line.
* Unnamed constraints get PostgreSQL's default name (``t_pkey``, ``t_col_key``,
  ``t_col_fkey``, ``t_col_check`` or ``t_check``, ``t_a_b_key`` ...) so that migra's
  ``add constraint "t_col_check"`` finds them. Collisions PostgreSQL resolves with a numeric
  suffix, and names longer than 63 bytes, are not reproduced: such a statement falls back to
  the table's CREATE line.
* **Unqualified names in schema files resolve to** ``public``. Each file starts from that
  default (the loader runs ``RESET ALL`` before every file, as ``psql -f`` would start a fresh
  session); a simple ``SET search_path TO x, ...`` (or ``SELECT set_config('search_path',
  'x, ...', ...)`` as pg_dump writes it) makes ``x`` the schema for the rest of the file,
  ``RESET search_path`` / ``RESET ALL`` restore ``public``, and the elements of a
  ``CREATE SCHEMA x CREATE TABLE ...`` resolve to ``x``. ``$user`` entries are skipped.
  Nothing more of the search path is emulated: an object created through a search path that
  does not match is simply not found, and its statements map to None.
* A generated statement is parsed and resolved to its target object: the column for ``ALTER
  TABLE ... ADD/ALTER COLUMN``, the constraint for ``ADD CONSTRAINT`` (falling back to the
  table), the index for ``CREATE INDEX`` (falling back to a constraint of that name, then to
  the table: a partition's automatically created index lands on the partition), the type for
  ``ALTER TYPE ... ADD VALUE``, the commented object for ``COMMENT ON`` and so on.
* Statements that remove something (``DROP ...``, ``ALTER TABLE ... DROP COLUMN/CONSTRAINT``,
  ``DETACH PARTITION``) map to None: the object is not in the schema files. So does any
  statement that does not parse, and any object not found.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pglast
from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType as CT
from pglast.enums import FunctionParameterMode as PM
from pglast.enums import ObjectType as OT
from pglast.enums import VariableSetKind as VSK
from pglast.parser import ParseError

from .errors import SchemaLoadError
from .loader import line_col, split

Where = tuple[str, int]
Key = tuple[Any, ...]

DEFAULT_SCHEMA = "public"

# Object kinds that share one namespace per schema in PostgreSQL (pg_class).
_RELATION_KINDS = {
    OT.OBJECT_TABLE,
    OT.OBJECT_VIEW,
    OT.OBJECT_MATVIEW,
    OT.OBJECT_SEQUENCE,
    OT.OBJECT_FOREIGN_TABLE,
}
_TYPE_KINDS = {OT.OBJECT_TYPE, OT.OBJECT_DOMAIN}
_FUNCTION_KINDS = {OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE, OT.OBJECT_ROUTINE, OT.OBJECT_AGGREGATE}
_TABLE_CHILD_KINDS = {
    OT.OBJECT_TRIGGER: "trigger",
    OT.OBJECT_POLICY: "policy",
    OT.OBJECT_RULE: "rule",
    OT.OBJECT_TABCONSTRAINT: "constraint",
}
_SERIALS = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}
# ALTER TABLE subcommands that take something away: the object is not in the schema files.
_REMOVING_AT = {AT.AT_DropColumn, AT.AT_DropConstraint, AT.AT_DetachPartition}
_TRIGGER_AT = {AT.AT_EnableTrig, AT.AT_EnableAlwaysTrig, AT.AT_EnableReplicaTrig, AT.AT_DisableTrig}
_CONSTRAINT_SUFFIX = {
    CT.CONSTR_PRIMARY: "pkey",
    CT.CONSTR_UNIQUE: "key",
    CT.CONSTR_FOREIGN: "fkey",
    CT.CONSTR_CHECK: "check",
    CT.CONSTR_EXCLUSION: "excl",
}


# ---- small AST helpers ---------------------------------------------------------------------


def _strings(obj: Any) -> list[str]:
    """Name parts of a tuple of String nodes, a String, or a TypeName."""
    if isinstance(obj, ast.TypeName):
        obj = obj.names
    if isinstance(obj, ast.String):
        obj = (obj,)
    if isinstance(obj, tuple | list):
        return [str(s.sval) for s in obj if isinstance(s, ast.String) and s.sval is not None]
    return []


def _qualify(parts: Sequence[str], default: str) -> tuple[str, str] | None:
    """(schema, name) from one or more name parts (a database prefix is ignored)."""
    if not parts:
        return None
    if len(parts) == 1:
        return default, parts[0]
    return parts[-2], parts[-1]


def _rv(rv: Any, default: str) -> tuple[str, str] | None:
    if not isinstance(rv, ast.RangeVar) or not rv.relname:
        return None
    return rv.schemaname or default, rv.relname


def _const_strings(args: Any) -> list[str]:
    """The string constants of an argument list (``SET x TO 'a', b``)."""
    return [
        str(a.val.sval)
        for a in args or ()
        if isinstance(a, ast.A_Const) and isinstance(a.val, ast.String) and a.val.sval is not None
    ]


def _signature(params: Iterable[Any] | None) -> tuple[tuple[str, int], ...]:
    """Input argument types by last name part and array depth: enough to tell overloads apart
    whether a type is spelled ``integer`` or ``int4`` (both parse to ``int4``)."""
    out = []
    for p in params or ():
        if not isinstance(p, ast.FunctionParameter):
            continue
        if p.mode in (PM.FUNC_PARAM_OUT, PM.FUNC_PARAM_TABLE):
            continue
        tn = p.argType
        names = _strings(tn)
        out.append((names[-1] if names else "", len(tn.arrayBounds or ()) if tn else 0))
    return tuple(out)


def _column_refs(node: Any) -> Iterator[str]:
    """Column names referenced by an expression (last field of each ColumnRef)."""
    if isinstance(node, tuple | list):
        for item in node:
            yield from _column_refs(item)
    elif isinstance(node, ast.Node):
        if isinstance(node, ast.ColumnRef):
            fields = _strings(node.fields)
            if fields:
                yield fields[-1]
            return
        for attr in node.__slots__:  # type: ignore[attr-defined]
            yield from _column_refs(getattr(node, attr, None))


def _key_columns(con: Any) -> list[str]:
    """The columns a table-level constraint is on, for PostgreSQL's default name."""
    if con.contype == CT.CONSTR_FOREIGN:
        return _strings(con.fk_attrs)
    if con.contype == CT.CONSTR_EXCLUSION:
        cols = []
        for pair in con.exclusions or ():
            elem = pair[0] if isinstance(pair, tuple | list) else None
            if isinstance(elem, ast.IndexElem) and elem.name:
                cols.append(elem.name)
        return cols
    return _strings(con.keys)


def _default_constraint_name(table: str, con: Any, column: str | None) -> str | None:
    """PostgreSQL's name for an unnamed constraint (ChooseConstraintName), without the
    numeric suffix it adds on collision."""
    suffix = _CONSTRAINT_SUFFIX.get(con.contype)
    if suffix is None:
        return None
    if con.contype == CT.CONSTR_PRIMARY:
        return f"{table}_pkey"
    if con.contype == CT.CONSTR_CHECK:
        if column is None:
            refs = list(dict.fromkeys(_column_refs(con.raw_expr)))
            column = refs[0] if len(refs) == 1 else None
        return f"{table}_{column}_check" if column else f"{table}_check"
    cols = [column] if column else _key_columns(con)
    return "_".join([table, *cols, suffix]) if cols else f"{table}_{suffix}"


# ---- the index of the desired files ------------------------------------------------------


class _Index:
    """Object identity -> (path, line) of its definition in the desired files."""

    def __init__(self) -> None:
        self.where: dict[Key, Where] = {}
        # Index and constraint names, per schema: an index may be a constraint's index.
        self.constraint_by_schema: dict[tuple[str, str], Where] = {}

    def add(self, key: Key, where: Where) -> None:
        self.where.setdefault(key, where)

    def get(self, *keys: Key | None) -> Where | None:
        for key in keys:
            if key is not None and key in self.where:
                return self.where[key]
        return None


class _FileIndexer:
    """Indexes the statements of one file."""

    def __init__(self, index: _Index, path: str, text: str) -> None:
        self.index = index
        self.path = path
        self.text = text
        self.schema = DEFAULT_SCHEMA
        self._starts: list[int] = []

    def run(self) -> None:
        try:
            text, _ = split(self.text, self.path)  # psql meta-commands blanked, offsets kept
            raw = pglast.parse_sql(text)
            tokens = pglast.parser.scan(text)
        except (SchemaLoadError, ParseError, TypeError, ValueError):
            return  # a broken file has no provenance; building it reports the error
        self.text = text
        self._starts = [t.start for t in tokens if t.name not in ("SQL_COMMENT", "C_COMMENT")]
        for stmt in raw:
            self.statement(stmt.stmt, self._first_token(stmt.stmt_location or 0))

    # -- positions -----------------------------------------------------------------------
    def _first_token(self, offset: int) -> int:
        """The first real token at or after ``offset`` (statement locations may include the
        whitespace and comments before a statement)."""
        i = bisect.bisect_left(self._starts, offset)
        return self._starts[i] if i < len(self._starts) else offset

    def at(self, offset: int | None, fallback: int) -> Where:
        pos = offset if isinstance(offset, int) and offset >= 0 else fallback
        return self.path, line_col(self.text, pos)[0]

    # -- statements ----------------------------------------------------------------------
    def statement(self, node: Any, start: int) -> None:
        here = self.at(start, start)
        add = self.index.add
        name = type(node).__name__
        if isinstance(node, ast.VariableSetStmt):
            self._search_path(node)
        elif isinstance(node, ast.SelectStmt):
            self._set_config(node)
        elif isinstance(node, ast.CreateSchemaStmt):
            if node.schemaname:
                add(("schema", node.schemaname), here)
            outer = self.schema
            self.schema = node.schemaname or outer
            try:
                for elt in node.schemaElts or ():
                    self.statement(elt, start)
            finally:
                self.schema = outer
        elif isinstance(node, ast.CreateStmt | ast.CreateForeignTableStmt):
            base = node.base if isinstance(node, ast.CreateForeignTableStmt) else node
            self._create_table(base, start, here)
        elif isinstance(node, ast.ViewStmt):
            self._relation(node.view, here)
        elif isinstance(node, ast.CreateTableAsStmt):
            self._relation(node.into.rel if node.into else None, here)
        elif isinstance(node, ast.CreateSeqStmt):
            self._relation(node.sequence, here)
        elif isinstance(node, ast.IndexStmt):
            rel = _rv(node.relation, self.schema)
            if rel and node.idxname:
                add(("index", rel[0], node.idxname), here)
        elif isinstance(node, ast.AlterTableStmt):
            self._alter_table(node, start)
        elif name in ("CreateEnumStmt", "CreateRangeStmt"):
            self._type(node.typeName, here)
        elif isinstance(node, ast.CompositeTypeStmt):
            rel = _rv(node.typevar, self.schema)
            if rel:
                add(("type", *rel), here)
        elif isinstance(node, ast.CreateDomainStmt):
            self._type(node.domainname, here)
        elif isinstance(node, ast.DefineStmt):
            if node.kind in _TYPE_KINDS:
                self._type(node.defnames, here)
            elif node.kind == OT.OBJECT_COLLATION:
                qn = _qualify(_strings(node.defnames), self.schema)
                if qn:
                    add(("collation", *qn), here)
            elif node.kind == OT.OBJECT_AGGREGATE:
                qn = _qualify(_strings(node.defnames), self.schema)
                if qn:
                    add(("function", *qn), here)
        elif isinstance(node, ast.CreateFunctionStmt):
            qn = _qualify(_strings(node.funcname), self.schema)
            if qn:
                add(("function", *qn, _signature(node.parameters)), here)
                add(("function", *qn), here)
        elif isinstance(node, ast.CreateTrigStmt):
            rel = _rv(node.relation, self.schema)
            if rel and node.trigname:
                add(("trigger", *rel, node.trigname), here)
        elif isinstance(node, ast.CreatePolicyStmt):
            rel = _rv(node.table, self.schema)
            if rel and node.policy_name:
                add(("policy", *rel, node.policy_name), here)
        elif isinstance(node, ast.RuleStmt):
            rel = _rv(node.relation, self.schema)
            if rel and node.rulename:
                add(("rule", *rel, node.rulename), here)
        elif isinstance(node, ast.CreateExtensionStmt):
            if node.extname:
                add(("extension", node.extname), here)
        elif isinstance(node, ast.CreateStatsStmt):
            qn = _qualify(_strings(node.defnames), self.schema)
            if qn:
                add(("statistics", *qn), here)
        elif isinstance(node, ast.CommentStmt):
            key = _object_key(node.objtype, node.object, self.schema)
            if key:
                add(("comment", *key), here)
        elif isinstance(node, ast.GrantStmt) and node.is_grant:
            for obj in node.objects or ():
                key = _object_key(node.objtype, obj, self.schema)
                if key:
                    add(("grant", *key), here)

    def _relation(self, rv: Any, here: Where) -> tuple[str, str] | None:
        rel = _rv(rv, self.schema)
        if rel:
            self.index.add(("relation", *rel), here)
        return rel

    def _type(self, names: Any, here: Where) -> None:
        qn = _qualify(_strings(names), self.schema)
        if qn:
            self.index.add(("type", *qn), here)

    def _constraint(self, rel: tuple[str, str], con: Any, where: Where, column: str | None) -> None:
        name = con.conname or _default_constraint_name(rel[1], con, column)
        if not name:
            return
        self.index.add(("constraint", *rel, name), where)
        self.index.constraint_by_schema.setdefault((rel[0], name), where)

    def _column(self, rel: tuple[str, str], col: Any, start: int) -> None:
        where = self.at(col.location, start)
        self.index.add(("column", *rel, col.colname), where)
        typename = _strings(col.typeName)
        if typename and typename[-1] in _SERIALS:
            self.index.add(("relation", rel[0], f"{rel[1]}_{col.colname}_seq"), where)
        for con in col.constraints or ():
            if isinstance(con, ast.Constraint):
                self._constraint(
                    rel, con, self.at(con.location, col.location or start), col.colname
                )

    def _create_table(self, node: Any, start: int, here: Where) -> None:
        rel = self._relation(node.relation, here)
        if rel is None:
            return
        for elt in node.tableElts or ():
            if isinstance(elt, ast.ColumnDef) and elt.colname:
                self._column(rel, elt, start)
            elif isinstance(elt, ast.Constraint):
                self._constraint(rel, elt, self.at(elt.location, start), None)

    def _alter_table(self, node: Any, start: int) -> None:
        rel = _rv(node.relation, self.schema)
        if rel is None:
            return
        for cmd in node.cmds or ():
            if cmd.subtype == AT.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                self._column(rel, cmd.def_, start)
            elif cmd.subtype == AT.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
                con = cmd.def_
                self._constraint(rel, con, self.at(start, start), None)

    # -- search_path ---------------------------------------------------------------------
    def _use_path(self, value: str) -> None:
        for part in value.split(","):
            name = part.strip().strip('"')
            if name and name != "$user":
                self.schema = name
                return
        self.schema = DEFAULT_SCHEMA

    def _search_path(self, node: Any) -> None:
        if node.kind == VSK.VAR_RESET_ALL or (
            node.name == "search_path" and node.kind in (VSK.VAR_RESET, VSK.VAR_SET_DEFAULT)
        ):
            self.schema = DEFAULT_SCHEMA
        elif node.name == "search_path" and node.kind == VSK.VAR_SET_VALUE:
            self._use_path(",".join(_const_strings(node.args)))

    def _set_config(self, node: Any) -> None:
        """``SELECT pg_catalog.set_config('search_path', 'x', false)`` as pg_dump writes it."""
        for target in node.targetList or ():
            call = getattr(target, "val", None)
            if not isinstance(call, ast.FuncCall) or _strings(call.funcname)[-1:] != ["set_config"]:
                continue
            consts = _const_strings((call.args or ())[:2])
            if len(consts) == 2 and consts[0] == "search_path":
                self._use_path(consts[1])


def _object_key(objtype: Any, obj: Any, default: str) -> Key | None:
    """The index key of an object named in COMMENT / GRANT / ALTER ... OWNER."""
    if objtype in _RELATION_KINDS:
        qn = _rv(obj, default) or _qualify(_strings(obj), default)
        return ("relation", *qn) if qn else None
    if objtype == OT.OBJECT_INDEX:
        qn = _qualify(_strings(obj), default)
        return ("index", *qn) if qn else None
    if objtype == OT.OBJECT_COLUMN:
        parts = _strings(obj)
        if len(parts) < 2:
            return None
        if len(parts) == 2:
            return ("column", default, *parts)
        return ("column", *parts[-3:])
    if objtype in _TABLE_CHILD_KINDS:
        parts = _strings(obj)
        if len(parts) < 2:
            return None
        kind = _TABLE_CHILD_KINDS[objtype]
        if len(parts) == 2:
            return (kind, default, *parts)
        return (kind, *parts[-3:])
    if objtype in _TYPE_KINDS:
        qn = _qualify(_strings(obj), default)
        return ("type", *qn) if qn else None
    if objtype in _FUNCTION_KINDS:
        names = obj.objname if isinstance(obj, ast.ObjectWithArgs) else obj
        qn = _qualify(_strings(names), default)
        return ("function", *qn) if qn else None
    if objtype == OT.OBJECT_SCHEMA:
        parts = _strings(obj)
        return ("schema", parts[0]) if parts else None
    if objtype == OT.OBJECT_EXTENSION:
        parts = _strings(obj)
        return ("extension", parts[0]) if parts else None
    if objtype == OT.OBJECT_COLLATION:
        qn = _qualify(_strings(obj), default)
        return ("collation", *qn) if qn else None
    return None


def build_index(files: Iterable[tuple[str, str]]) -> _Index:
    """Index every object defined in the desired files (first definition wins)."""
    index = _Index()
    for path, text in files:
        _FileIndexer(index, path, text).run()
    return index


# ---- resolving generated statements ------------------------------------------------------


def _fallback_object(key: Key) -> Key | None:
    """The object a sub-object key falls back to (a column's table, a comment's object)."""
    if key[0] in ("column", "constraint", "trigger", "policy", "rule"):
        return ("relation", key[1], key[2])
    return None


def _lookup_object(index: _Index, key: Key | None) -> Where | None:
    if key is None:
        return None
    if key[0] == "index":
        return index.get(key) or index.constraint_by_schema.get((key[1], key[2]))
    return index.get(key, _fallback_object(key))


def _resolve_alter_table(index: _Index, node: Any) -> Where | None:
    rel = _rv(node.relation, DEFAULT_SCHEMA)
    if rel is None:
        return None
    cmds = [c for c in node.cmds or () if c.subtype not in _REMOVING_AT]
    if not cmds:
        return None
    if node.objtype == OT.OBJECT_INDEX:
        return _lookup_object(index, ("index", *rel))
    table = ("relation", *rel)
    for cmd in cmds:
        sub = cmd.subtype
        if sub == AT.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            return index.get(("column", *rel, cmd.def_.colname), table)
        if sub == AT.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
            con = cmd.def_
            name = con.conname or _default_constraint_name(rel[1], con, None)
            return index.get(("constraint", *rel, name), table)
        if sub == AT.AT_AttachPartition and isinstance(cmd.def_, ast.PartitionCmd):
            part = _rv(cmd.def_.name, DEFAULT_SCHEMA)
            return index.get(("relation", *part) if part else None, table)
        if sub in (AT.AT_ValidateConstraint, AT.AT_AlterConstraint) and cmd.name:
            return index.get(("constraint", *rel, cmd.name), table)
        if sub in _TRIGGER_AT and cmd.name:
            return index.get(("trigger", *rel, cmd.name), table)
        if cmd.name and sub not in (AT.AT_ClusterOn, AT.AT_ReplicaIdentity):
            # ALTER COLUMN ... TYPE / SET DEFAULT / SET NOT NULL / SET STATISTICS ...
            return index.get(("column", *rel, cmd.name), table)
    return index.get(table)


def _resolve(index: _Index, node: Any) -> Where | None:
    """The definition site of the object a generated statement creates or changes."""
    s = DEFAULT_SCHEMA  # generated statements are schema-qualified; public otherwise
    name = type(node).__name__
    if isinstance(node, ast.DropStmt):
        return None
    if isinstance(node, ast.CreateStmt | ast.CreateForeignTableStmt):
        base: Any = node.base if isinstance(node, ast.CreateForeignTableStmt) else node
        rel = _rv(base.relation, s)
        return index.get(("relation", *rel)) if rel else None
    if isinstance(node, ast.AlterTableStmt):
        return _resolve_alter_table(index, node)
    if isinstance(node, ast.IndexStmt):
        rel = _rv(node.relation, s)
        if rel is None:
            return None
        if node.idxname:
            found = _lookup_object(index, ("index", rel[0], node.idxname))
            if found:
                return found
        return index.get(("relation", *rel))
    if isinstance(node, ast.ViewStmt):
        rel = _rv(node.view, s)
        return index.get(("relation", *rel)) if rel else None
    if isinstance(node, ast.CreateTableAsStmt):
        rel = _rv(node.into.rel if node.into else None, s)
        return index.get(("relation", *rel)) if rel else None
    if isinstance(node, ast.CreateSeqStmt | ast.AlterSeqStmt):
        rel = _rv(node.sequence, s)
        return index.get(("relation", *rel)) if rel else None
    if name in ("CreateEnumStmt", "CreateRangeStmt", "AlterEnumStmt"):
        qn = _qualify(_strings(node.typeName), s)
        return index.get(("type", *qn)) if qn else None
    if isinstance(node, ast.CompositeTypeStmt):
        rel = _rv(node.typevar, s)
        return index.get(("type", *rel)) if rel else None
    if isinstance(node, ast.CreateDomainStmt):
        qn = _qualify(_strings(node.domainname), s)
        return index.get(("type", *qn)) if qn else None
    if isinstance(node, ast.AlterDomainStmt):
        if node.subtype == "X":  # DROP CONSTRAINT
            return None
        qn = _qualify(_strings(node.typeName), s)
        return index.get(("type", *qn)) if qn else None
    if isinstance(node, ast.DefineStmt):
        qn = _qualify(_strings(node.defnames), s)
        if not qn:
            return None
        if node.kind in _TYPE_KINDS:
            return index.get(("type", *qn))
        if node.kind == OT.OBJECT_COLLATION:
            return index.get(("collation", *qn))
        if node.kind == OT.OBJECT_AGGREGATE:
            return index.get(("function", *qn))
        return None
    if isinstance(node, ast.CreateFunctionStmt):
        qn = _qualify(_strings(node.funcname), s)
        if not qn:
            return None
        return index.get(("function", *qn, _signature(node.parameters)), ("function", *qn))
    if isinstance(node, ast.AlterFunctionStmt):
        return _lookup_object(index, _object_key(node.objtype, node.func, s))
    if isinstance(node, ast.CreateTrigStmt):
        rel = _rv(node.relation, s)
        if not rel or not node.trigname:
            return None
        return index.get(("trigger", *rel, node.trigname), ("relation", *rel))
    if isinstance(node, ast.CreatePolicyStmt | ast.AlterPolicyStmt):
        rel = _rv(node.table, s)
        if not rel or not node.policy_name:
            return None
        return index.get(("policy", *rel, node.policy_name), ("relation", *rel))
    if isinstance(node, ast.RuleStmt):
        rel = _rv(node.relation, s)
        if not rel or not node.rulename:
            return None
        return index.get(("rule", *rel, node.rulename), ("relation", *rel))
    if isinstance(node, ast.CreateSchemaStmt):
        return index.get(("schema", node.schemaname)) if node.schemaname else None
    if isinstance(node, ast.CreateExtensionStmt | ast.AlterExtensionStmt):
        return index.get(("extension", node.extname)) if node.extname else None
    if isinstance(node, ast.CreateStatsStmt):
        qn = _qualify(_strings(node.defnames), s)
        return index.get(("statistics", *qn)) if qn else None
    if isinstance(node, ast.CommentStmt):
        key = _object_key(node.objtype, node.object, s)
        if key is None:
            return None
        return index.get(("comment", *key)) or _lookup_object(index, key)
    if isinstance(node, ast.GrantStmt):
        for obj in node.objects or ():
            key = _object_key(node.objtype, obj, s)
            if key is None:
                continue
            found = (index.get(("grant", *key)) if node.is_grant else None) or _lookup_object(
                index, key
            )
            if found:
                return found
        return None
    if isinstance(node, ast.AlterOwnerStmt):
        obj = node.relation if node.relation is not None else node.object
        return _lookup_object(index, _object_key(node.objectType, obj, s))
    if isinstance(node, ast.RenameStmt):
        # migra renames an enum out of the way before recreating it under its own name.
        if node.renameType == OT.OBJECT_TYPE:
            qn = _qualify(_strings(node.object), s)
            return index.get(("type", *qn)) if qn else None
        if node.relation is not None:
            rel = _rv(node.relation, s)
            if rel is None:
                return None
            if node.renameType == OT.OBJECT_COLUMN and node.newname:
                return index.get(("column", *rel, node.newname), ("relation", *rel))
            if node.renameType in _RELATION_KINDS and node.newname:
                return index.get(("relation", rel[0], node.newname))
            return index.get(("relation", *rel))
        return None
    if isinstance(node, ast.AlterObjectSchemaStmt) and node.newschema:
        rel = _rv(node.relation, s)
        if rel:
            return index.get(("relation", node.newschema, rel[1]))
        return None
    return None


def resolve_statement(index: _Index, statement: str) -> Where | None:
    """Provenance of one generated statement against a prepared index."""
    try:
        raw = pglast.parse_sql(statement)
    except ParseError:
        return None
    if len(raw) != 1:
        return None
    return _resolve(index, raw[0].stmt)


def provenance(statements: list[str], files: list[tuple[str, str]]) -> list[Where | None]:
    """For each generated statement, ``(path, line)`` of its object's definition in the
    desired files, or None (drops, objects not found, statements that do not parse)."""
    if not statements:
        return []
    index = build_index(files)
    return [resolve_statement(index, s) for s in statements]
