"""Statement ordering: every object is created before it is used and dropped after its users.

migra emits statements in fixed phases (tables, then indexes and constraints, then views and
functions), so a function used by an index, a default or a check is created after its user,
and dropped before it. It also replaces views and functions in place where PostgreSQL cannot
(a column type under a view, a function's return type). Here every statement is parsed with
pglast into what it creates, removes and uses, and:

* objects that must be rebuilt around a change (views over a re-typed column or a dropped
  function, functions whose result type changes) get a DROP before and a CREATE after;
* the statements are sorted topologically, keeping migra's order wherever no dependency
  forces a change. Creation order comes from the statements themselves (a statement that
  uses an object goes after the one creating it); drop order comes from the ``from``
  database's pg_depend (read by :mod:`diffcheck.catalog`), since a DROP names only its
  target, never what depends on it."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pglast
from pglast import ast, enums
from pglast.parser import ParseError

from ..catalog import Catalog, Key
from . import aggregates, columns, domains, textsearch
from . import enums as enum_fixes

log = logging.getLogger(__name__)

_BUILTIN_SCHEMAS = {"pg_catalog", "information_schema"}
_REL_OBJECTS = {
    enums.ObjectType.OBJECT_TABLE,
    enums.ObjectType.OBJECT_VIEW,
    enums.ObjectType.OBJECT_MATVIEW,
    enums.ObjectType.OBJECT_INDEX,
    enums.ObjectType.OBJECT_SEQUENCE,
    enums.ObjectType.OBJECT_FOREIGN_TABLE,
}
_TYPE_OBJECTS = {enums.ObjectType.OBJECT_TYPE, enums.ObjectType.OBJECT_DOMAIN}
_FUNCTION_OBJECTS = {
    enums.ObjectType.OBJECT_FUNCTION,
    enums.ObjectType.OBJECT_PROCEDURE,
    enums.ObjectType.OBJECT_AGGREGATE,
    enums.ObjectType.OBJECT_ROUTINE,
}
_ON_TABLE_OBJECTS = {
    enums.ObjectType.OBJECT_TRIGGER: "trigger",
    enums.ObjectType.OBJECT_POLICY: "policy",
}
_OPERATOR_EXPRS = {
    enums.A_Expr_Kind.AEXPR_OP,
    enums.A_Expr_Kind.AEXPR_OP_ANY,
    enums.A_Expr_Kind.AEXPR_OP_ALL,
}
_OPERATOR_DEFS = {"function", "procedure", "restrict", "join"}
_AT = enums.AlterTableType
REFUSAL_MARK = "diffcheck refuses"  # in every statement built by common.refusal


@dataclass
class Stmt:
    """One statement and its effects on the catalog."""

    text: str
    node: Any
    pos: float  # position in migra's order; inserted statements get fractional ones
    creates: set[Key] = field(default_factory=set)
    removes: set[Key] = field(default_factory=set)
    uses: set[Key] = field(default_factory=set)
    # Names freed without dropping anything (ALTER TYPE x RENAME): dependents follow the
    # object, so only a later CREATE of the old name has to wait for it.
    vacates: set[Key] = field(default_factory=set)
    first: bool = False  # session settings (set check_function_bodies = off) go first


# -- parsing --------------------------------------------------------------------------------


def _split(chunks: Iterable[str]) -> list[tuple[str, Any]] | None:
    """(text, AST) per single statement; None when anything does not parse (the caller then
    leaves the list alone and :func:`diffcheck.engine.split_checked` reports it)."""
    out: list[tuple[str, Any]] = []
    for chunk in chunks:
        try:
            parsed = pglast.parse_sql(chunk)
        except ParseError:
            return None
        for raw in parsed:
            start = raw.stmt_location or 0
            length = raw.stmt_len or (len(chunk) - start)
            text = chunk[start : start + length].strip()
            if text:
                out.append((text + ";", raw.stmt))
    return out


def _walk(node: Any) -> Iterator[Any]:
    if isinstance(node, ast.Node):
        yield node
        for attr in node:
            yield from _walk(getattr(node, attr))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _walk(item)


def _strings(names: Any) -> list[str]:
    return [n.sval for n in names or () if isinstance(n, ast.String) and n.sval is not None]


def _qualified(kind: str, names: Any) -> Key | None:
    """A key from a dotted name list (schema optional: None matches any schema)."""
    parts = _strings(names)
    if not parts:
        return None
    schema = parts[-2] if len(parts) >= 2 else None
    if schema in _BUILTIN_SCHEMAS:
        return None
    return (kind, schema, None, parts[-1])


def _rel(rv: Any) -> Key | None:
    if not isinstance(rv, ast.RangeVar) or rv.schemaname in _BUILTIN_SCHEMAS or not rv.relname:
        return None
    return ("rel", rv.schemaname, None, rv.relname)


def _on(rv: Any, kind: str, name: str | None) -> Key | None:
    if not isinstance(rv, ast.RangeVar) or name is None:
        return None
    return (kind, rv.schemaname, rv.relname, name)


def _references(node: Any) -> set[Key]:
    """Functions, types and relations an AST refers to."""
    out: set[Key | None] = set()
    for n in _walk(node):
        if isinstance(n, ast.FuncCall):
            out.add(_qualified("function", n.funcname))
        elif isinstance(n, ast.TypeName):
            # A type name may also be a table's row type.
            out.add(_qualified("type", n.names))
            out.add(_qualified("rel", n.names))
        elif isinstance(n, ast.RangeVar):
            out.add(_rel(n))
        elif isinstance(n, ast.ObjectWithArgs):
            out.add(_qualified("function", n.objname))
        elif isinstance(n, ast.CollateClause):
            out.add(_qualified("collation", n.collname))
        elif isinstance(n, ast.A_Expr) and n.kind in _OPERATOR_EXPRS:
            # A user-defined operator must exist before an index, view or check uses it.
            out.add(_qualified("operator", n.name))
    out.discard(None)
    return out  # type: ignore[return-value]


def _sql_body_references(node: Any) -> set[Key]:
    """What a LANGUAGE sql function's string body refers to. PostgreSQL records no
    dependency for it, yet an index or check calling the function runs (or inlines) it at
    creation, so its callees must exist by then."""
    options = {o.defname: o.arg for o in node.options or () if isinstance(o, ast.DefElem)}
    language = options.get("language")
    if not (isinstance(language, ast.String) and language.sval == "sql"):
        return set()
    body = _strings(options.get("as"))
    if len(body) != 1:
        return set()
    try:
        return _references(pglast.parse_sql(body[0]))
    except ParseError:
        return set()


def _drop_keys(node: Any) -> set[Key]:
    out: set[Key | None] = set()
    rt = node.removeType
    for obj in node.objects or ():
        if rt in _FUNCTION_OBJECTS and isinstance(obj, ast.ObjectWithArgs):
            out.add(_qualified("function", obj.objname))
        elif rt in _TYPE_OBJECTS:
            names = obj.names if isinstance(obj, ast.TypeName) else obj
            out.add(_qualified("type", names))
        elif rt in _REL_OBJECTS:
            out.add(_qualified("rel", obj))
        elif rt == enums.ObjectType.OBJECT_OPERATOR and isinstance(obj, ast.ObjectWithArgs):
            out.add(_qualified("operator", obj.objname))
        elif rt == enums.ObjectType.OBJECT_COLLATION:
            out.add(_qualified("collation", obj))
        elif rt == enums.ObjectType.OBJECT_EXTENSION and isinstance(obj, ast.String):
            out.add(("extension", None, None, obj.sval or ""))
        elif rt == enums.ObjectType.OBJECT_SCHEMA and isinstance(obj, ast.String):
            # Everything in the schema (per pg_depend) is dropped before it.
            out.add(("schema", None, None, obj.sval or ""))
        elif rt in _ON_TABLE_OBJECTS:
            parts = _strings(obj)
            if len(parts) >= 2:
                schema = parts[-3] if len(parts) >= 3 else None
                out.add((_ON_TABLE_OBJECTS[rt], schema, parts[-2], parts[-1]))
    out.discard(None)
    return out  # type: ignore[return-value]


def _alter_table(s: Stmt, node: Any) -> None:
    rv = node.relation
    s.uses |= {k for k in [_rel(rv)] if k}
    for cmd in node.cmds or ():
        if not isinstance(cmd, ast.AlterTableCmd):
            continue
        sub, name = cmd.subtype, cmd.name
        if sub == _AT.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            s.creates |= {k for k in [_on(rv, "column", cmd.def_.colname)] if k}
            s.uses |= _references(cmd.def_)
        elif sub == _AT.AT_DropColumn:
            s.removes |= {k for k in [_on(rv, "column", name), _on(rv, "default", name)] if k}
        elif sub == _AT.AT_AlterColumnType:
            col = _on(rv, "column", name)
            if col:
                s.removes.add(col)
                s.creates.add(col)
            s.uses |= _references(cmd.def_)
        elif sub == _AT.AT_ColumnDefault:
            key = _on(rv, "default", name)
            if key:
                s.removes.add(key)
                if cmd.def_ is not None:
                    s.creates.add(key)
                    # A new default is for the column's new type: after a type change.
                    s.uses |= {k for k in [_on(rv, "column", name)] if k}
            s.uses |= _references(cmd.def_)
        elif sub == _AT.AT_DropExpression:
            s.removes |= {k for k in [_on(rv, "default", name)] if k}
        elif sub in (_AT.AT_AddConstraint, _AT.AT_AddIndexConstraint):
            con = cmd.def_
            conname = getattr(con, "conname", None)
            s.creates |= {k for k in [_on(rv, "constraint", conname)] if k}
            s.uses |= _references(con)
        elif sub == _AT.AT_DropConstraint:
            s.removes |= {k for k in [_on(rv, "constraint", name)] if k}
        elif sub == _AT.AT_ValidateConstraint:
            s.uses |= {k for k in [_on(rv, "constraint", name)] if k}
        else:
            s.uses |= _references(cmd.def_)


def analyze(s: Stmt) -> Stmt:
    """Fill in what ``s`` creates, removes and uses."""
    node = s.node
    if isinstance(node, ast.VariableSetStmt):
        s.first = True
    elif isinstance(node, ast.CreateStmt):
        key = _rel(node.relation)
        if key:
            s.creates.add(key)
            for elt in node.tableElts or ():
                if isinstance(elt, ast.ColumnDef) and elt.colname:
                    s.creates.add(("column", key[1], key[3], elt.colname))
        s.uses |= _references(node) - s.creates
    elif isinstance(node, ast.ViewStmt):
        s.creates |= {k for k in [_rel(node.view)] if k}
        s.uses |= _references(node.query)
    elif isinstance(node, ast.CreateTableAsStmt):
        s.creates |= {k for k in [_rel(node.into.rel if node.into else None)] if k}
        s.uses |= _references(node.query)
    elif isinstance(node, ast.IndexStmt):
        if node.idxname and node.relation is not None:
            s.creates.add(("rel", node.relation.schemaname, None, node.idxname))
        s.uses |= _references(node)
    elif isinstance(node, ast.CreateSeqStmt):
        s.creates |= {k for k in [_rel(node.sequence)] if k}
        s.uses |= _references(node.options)
    elif isinstance(node, ast.CreateFunctionStmt):
        s.creates |= {k for k in [_qualified("function", node.funcname)] if k}
        uses = _references([node.parameters, node.returnType, node.sql_body])
        uses |= _sql_body_references(node)
        # Operators in a body are resolved at call time (check_function_bodies is off), and an
        # operator is usually implemented by a function: depending on it would make a cycle.
        s.uses |= {k for k in uses - s.creates if k[0] != "operator"}
    elif isinstance(node, ast.CreateDomainStmt):
        s.creates |= {k for k in [_qualified("type", node.domainname)] if k}
        s.uses |= _references([node.typeName, node.constraints])
    elif isinstance(node, ast.CreateEnumStmt):
        s.creates |= {k for k in [_qualified("type", node.typeName)] if k}
    elif isinstance(node, ast.CompositeTypeStmt):
        rv = node.typevar
        if rv is not None and rv.relname:
            s.creates.add(("type", rv.schemaname, None, rv.relname))
        s.uses |= _references(node.coldeflist)
    elif isinstance(node, ast.CreateRangeStmt):
        s.creates |= {k for k in [_qualified("type", node.typeName)] if k}
        s.uses |= _references(node.params)
    elif isinstance(node, ast.AlterEnumStmt):
        # A new label must exist before a default or check that mentions it.
        s.creates |= {k for k in [_qualified("type", node.typeName)] if k}
    elif isinstance(node, ast.CreateTrigStmt):
        s.creates |= {k for k in [_on(node.relation, "trigger", node.trigname)] if k}
        s.uses |= _references([node.relation, node.whenClause])
        s.uses |= {k for k in [_qualified("function", node.funcname)] if k}
    elif isinstance(node, ast.CreatePolicyStmt):
        s.creates |= {k for k in [_on(node.table, "policy", node.policy_name)] if k}
        s.uses |= _references([node.table, node.qual, node.with_check])
    elif isinstance(node, ast.AlterTableStmt):
        _alter_table(s, node)
    elif isinstance(node, ast.DropStmt):
        s.removes |= _drop_keys(node)
    elif isinstance(node, ast.RenameStmt) and node.renameType in _TYPE_OBJECTS:
        old = _qualified("type", node.object)
        if old and node.newname:
            s.vacates.add(old)
            s.creates.add(("type", old[1], None, node.newname))
    elif isinstance(node, ast.DefineStmt) and node.kind == enums.ObjectType.OBJECT_OPERATOR:
        # CREATE OPERATOR (function = f, leftarg = t, ...): after its function and types. A
        # commutator or negator is not a use: PostgreSQL makes a shell for a missing one.
        s.creates |= {k for k in [_qualified("operator", node.defnames)] if k}
        for elem in node.definition or ():
            if not isinstance(elem, ast.DefElem):
                continue
            if elem.defname in _OPERATOR_DEFS:
                arg = elem.arg
                names = arg.names if isinstance(arg, ast.TypeName) else arg
                s.uses |= {k for k in [_qualified("function", names)] if k}
            elif elem.defname in ("leftarg", "rightarg"):
                s.uses |= _references(elem.arg)
    elif isinstance(node, ast.DefineStmt) and node.kind == enums.ObjectType.OBJECT_COLLATION:
        s.creates |= {k for k in [_qualified("collation", node.defnames)] if k}
    elif isinstance(node, ast.DefineStmt) and node.kind == enums.ObjectType.OBJECT_AGGREGATE:
        # CREATE AGGREGATE (sfunc = f, stype = t, ...): callable like a function.
        s.creates |= {k for k in [_qualified("function", node.defnames)] if k}
        for elem in node.definition or ():
            if isinstance(elem, ast.DefElem) and (elem.defname or "").endswith("func"):
                arg = elem.arg
                names = arg.names if isinstance(arg, ast.TypeName) else arg
                s.uses |= {k for k in [_qualified("function", names)] if k}
            elif isinstance(elem, ast.DefElem):
                s.uses |= _references(elem.arg)
        s.uses |= _references(node.args) - s.creates
    elif isinstance(node, ast.DoStmt):
        # A refusal goes first, so the rehearsal fails with its reason rather than with
        # whatever error the statements it stands for would have caused.
        s.first = REFUSAL_MARK in s.text
    else:
        s.uses |= _references(node)
    return s


# -- matching -------------------------------------------------------------------------------


def _matches(use: Key, key: Key) -> bool:
    """Does a (possibly unqualified) reference name the object ``key``?"""
    if use[0] != key[0] or use[3] != key[3] or use[2] != key[2]:
        return False
    return use[1] is None or key[1] is None or use[1] == key[1]


class _Index:
    """Keys of a set of statements, by (kind, name), for wildcard-schema lookups."""

    def __init__(self) -> None:
        self._by: dict[tuple[str, str], list[tuple[Key, int]]] = {}

    def add(self, key: Key, i: int) -> None:
        self._by.setdefault((key[0], key[3]), []).append((key, i))

    def find(self, use: Key) -> list[int]:
        return [i for k, i in self._by.get((use[0], use[3]), ()) if _matches(use, k)]


def _covers(removed: Key, key: Key) -> bool:
    """Removing ``removed`` removes ``key`` too (a table takes its columns, defaults,
    constraints, triggers and policies with it; a column its default)."""
    if _matches(removed, key):
        return True
    if removed[0] == "rel" and key[2] is not None:
        return key[2] == removed[3] and (removed[1] is None or key[1] == removed[1])
    if removed[0] == "column" and key[0] == "default":
        return removed[1:] == key[1:]
    return False


_Candidates = tuple[
    dict[tuple[str, str], list[Key]], dict[str, list[Key]], dict[Key, frozenset[Key]]
]


def _candidates(cat: Catalog) -> _Candidates:
    """The catalog's referenced keys by (kind, name) and by table, and a memo of
    ``_dependents``; built once per catalog, like its dependents index.

    ``_covers(removed, ref)`` holds only for a ref of the same kind and name, a ref on the
    removed table (``ref[2]``), or a removed column's default: looked up by name, instead of
    testing every key of the catalog for every removed object (O(changes x objects): 8 s
    of a 10,000-table check)."""
    found: _Candidates | None = cat.__dict__.get("_covers_candidates")
    if found is None:
        by_name: dict[tuple[str, str], list[Key]] = {}
        by_table: dict[str, list[Key]] = {}
        for ref in cat.dependents_index().keys() | cat.parts_index().keys():
            by_name.setdefault((ref[0], ref[3]), []).append(ref)
            if ref[2] is not None:
                by_table.setdefault(ref[2], []).append(ref)
        found = (by_name, by_table, {})
        cat.__dict__["_covers_candidates"] = found
    return found


def _dependents(cat: Catalog, key: Key) -> set[Key]:
    """Objects in the ``from`` database that depend on ``key`` (directly, or through objects
    that go away with it: a table's columns, an index through auto dependencies)."""
    by_name, by_table, memo = _candidates(cat)
    known = memo.get(key)
    if known is not None:
        return set(known)
    index, parts = cat.dependents_index(), cat.parts_index()
    refs = list(by_name.get((key[0], key[3]), ()))
    if key[0] == "rel":
        refs += by_table.get(key[3], ())
    elif key[0] == "column":
        refs += by_name.get(("default", key[3]), ())
    owners = {ref for ref in refs if _covers(key, ref)}
    # An object's internal parts (a constraint's index) go with it: their dependents (a
    # foreign key on that index) depend on it as well.
    for owner in list(owners):
        owners |= parts.get(owner, set())
    out: set[Key] = set()
    for ref in owners:
        out |= index.get(ref, set())
    memo[key] = frozenset(out)
    return out


# -- rebuilds around a change -----------------------------------------------------------------


def _selectable(inspector: Any, key: Key) -> Any:
    from schemainspect.misc import quoted_identifier  # type: ignore[import-untyped]

    if key[1] is None:
        return None
    return inspector.selectables.get(quoted_identifier(key[3], key[1]))


def _function_result_changes(stmts: list[Stmt], a: Any, b: Any) -> list[Stmt]:
    """CREATE OR REPLACE cannot change a function's result type: drop it first."""
    out: list[Stmt] = []
    by_text = {" ".join(s.text.rstrip(";").split()): s for s in stmts}
    for key, fb in b.functions.items():
        fa = a.functions.get(key)
        if fa is None or fa.result_string == fb.result_string or fa.kind != fb.kind:
            continue
        create = by_text.get(" ".join(fb.create_statement.rstrip().rstrip(";").split()))
        if create is None:
            continue
        drop = _new(fa.drop_statement, create.pos - 0.5)
        if drop is not None:
            out.append(drop)
    return out


def _view_replacements(stmts: list[Stmt], a: Any, b: Any) -> list[Stmt]:
    """CREATE OR REPLACE VIEW cannot change or drop a column, only append ones: a view
    whose existing columns change is dropped first (its dependents then get rebuilt)."""
    out: list[Stmt] = []
    for s in stmts:
        node = s.node
        if not (isinstance(node, ast.ViewStmt) and node.replace):
            continue
        key = _rel(node.view)
        if key is None:
            continue
        va = _selectable(a, key)
        if va is None or va.relationtype != "v":
            continue
        vb = _selectable(b, key)
        if vb is None:
            continue
        cols_a = [(n, c.dbtypestr) for n, c in va.columns.items()]
        cols_b = [(n, c.dbtypestr) for n, c in vb.columns.items()]
        if cols_b[: len(cols_a)] != cols_a:
            drop = _new(va.drop_statement, s.pos - 0.5)
            if drop is not None:
                out.append(drop)
    return out


def _early(stmts: list[Stmt], texts: list[str]) -> list[Stmt]:
    """Statements placed right after the schemas and extensions are created (text search
    objects: nothing names them where a dependency could be seen)."""
    setup = [
        s.pos for s in stmts if isinstance(s.node, ast.CreateSchemaStmt | ast.CreateExtensionStmt)
    ]
    base = max(setup, default=-1.0)
    out: list[Stmt] = []
    for n, text in enumerate(texts, 1):
        s = _new(text, base + n / (len(texts) + 1))
        if s is not None:
            out.append(s)
    return out


def _new(text: str, pos: float) -> Stmt | None:
    parsed = _split([text])
    if not parsed or len(parsed) != 1:
        return None
    t, node = parsed[0]
    return analyze(Stmt(t, node, pos))


def _constraint(inspector: Any, key: Key) -> Any:
    from schemainspect.misc import quoted_identifier

    if key[1] is None or key[2] is None:
        return None
    name = ".".join(quoted_identifier(x) for x in (key[1], key[2], key[3]))
    return inspector.constraints.get(name)


# Re-created foreign keys go last: they need the referenced table's new unique index, which
# the plan may create anywhere.
_LAST = 1e9


def _rebuild_one(
    s: Stmt, r: Key, dep: Key, a: Any, b: Any
) -> tuple[Stmt | None, Stmt | None, bool]:
    """(drop, create, is_relation) for a dependent that blocks ``s``, or Nones."""
    cat: Catalog = a.diffcheck_catalog
    if dep[0] == "rel" and cat.relkinds.get((dep[1] or "", dep[3])) in ("v", "m"):
        va, vb = _selectable(a, dep), _selectable(b, dep)
        if va is None:
            return None, None, True
        drop = _new(va.drop_statement, s.pos - 0.25)
        create = _new(vb.create_statement, s.pos + 0.25) if vb is not None else None
        return drop, create, True
    if dep[0] == "constraint" and r not in s.creates:
        # A foreign key on a unique index or column that is dropped (not just re-typed:
        # PostgreSQL rebuilds those itself) must go first and come back at the end.
        ca, cb = _constraint(a, dep), _constraint(b, dep)
        if ca is None or ca.constraint_type != "FOREIGN KEY":
            return None, None, False
        drop = _new(ca.drop_statement, s.pos - 0.25)
        create = _new(cb.create_statement, _LAST + s.pos) if cb is not None else None
        return drop, create, False
    return None, None, False


def _rebuilds(stmts: list[Stmt], a: Any, b: Any, extra: list[tuple[Stmt, Stmt]]) -> None:
    """Views and materialized views that depend (in ``a``) on something a statement removes
    or re-types, and foreign keys on something it drops, are dropped before that statement
    and re-created after it (views with their indexes and triggers), unless the plan drops
    them anyway. PostgreSQL refuses to change a column's type under a view, to drop a
    function a view calls, or to drop a unique constraint a foreign key uses."""
    cat: Catalog = a.diffcheck_catalog
    removed: set[Key] = set()
    created: set[Key] = set()
    for s in stmts:
        removed |= s.removes
        created |= s.creates
    work = list(stmts)
    while work:
        s = work.pop(0)
        for r in list(s.removes):
            for dep in _dependents(cat, r):
                if any(_covers(x, dep) for x in removed):
                    # Already dropped by the plan: just make sure it happens first.
                    for t in stmts:
                        if t is s or any(_matches(dep, c) for c in t.creates):
                            continue  # re-created by t (SET DEFAULT): not a removal
                        if any(_covers(x, dep) for x in t.removes):
                            extra.append((t, s))
                    continue
                drop, create, is_rel = _rebuild_one(s, r, dep, a, b)
                if drop is None:
                    continue
                stmts.append(drop)
                work.append(drop)
                removed |= drop.removes
                extra.append((drop, s))
                for t in stmts:
                    if dep in t.creates:
                        extra.append((s, t))
                if create is not None and dep not in created:
                    stmts.append(create)
                    created |= create.creates
                    extra.append((s, create))
                    extra.append((drop, create))
                    if is_rel:
                        _recreate_parts(stmts, b, dep, created, create)


def _recreate_parts(stmts: list[Stmt], b: Any, rel: Key, created: set[Key], after: Stmt) -> None:
    """Indexes and triggers of a re-created relation (dropping it dropped them)."""
    parts = [
        (i.name, i.create_statement)
        for i in b.indexes.values()
        if i.schema == rel[1] and i.table_name == rel[3]
    ] + [
        (t.name, t.create_statement)
        for t in b.triggers.values()
        if t.schema == rel[1] and t.table_name == rel[3]
    ]
    for n, (_name, text) in enumerate(parts, 1):
        s = _new(text, after.pos + 0.01 * n)
        if s is not None and not (s.creates & created):
            stmts.append(s)
            created |= s.creates


def _matview_parts(stmts: list[Stmt], b: Any) -> None:
    """A materialized view the plan drops and re-creates loses its indexes and triggers;
    migra only re-creates those that changed."""
    created: set[Key] = set()
    for s in stmts:
        created |= s.creates
    for s in list(stmts):
        if not isinstance(s.node, ast.CreateTableAsStmt):
            continue
        for key in s.creates:
            if any(key in t.removes for t in stmts):
                _recreate_parts(stmts, b, key, created, s)


# -- sorting --------------------------------------------------------------------------------


def _edges(stmts: list[Stmt], a: Any) -> set[tuple[int, int]]:
    cat: Catalog = a.diffcheck_catalog
    edges: set[tuple[int, int]] = set()
    creators, removers = _Index(), _Index()
    for i, s in enumerate(stmts):
        for k in s.creates:
            creators.add(k, i)
        for k in s.removes | s.vacates:
            removers.add(k, i)
    for j, t in enumerate(stmts):
        # Created before use.
        for use in t.uses:
            for i in creators.find(use):
                if i != j and use not in t.creates:
                    edges.add((i, j))
        # Removed before re-created (drop view v ... create view v). Only in the order the
        # statements already have: the other way round is a create followed by a drop of the
        # same name, as in an enum rebuild (rename to x__old ... drop type x__old).
        for k in t.creates:
            for i in removers.find(k):
                if i != j and stmts[i].pos < t.pos:
                    edges.add((i, j))
    # Dependents removed before what they depend on (from the ``from`` database).
    dropping = _Index()
    for i, s in enumerate(stmts):
        for k in s.removes:
            dropping.add(k, i)
    for j, t in enumerate(stmts):
        for r in t.removes:
            for dep in _dependents(cat, r):
                for i in _removers(dropping, dep):
                    s = stmts[i]
                    if i == j or not any(_covers(x, dep) for x in s.removes):
                        continue
                    # A statement that re-creates the dependent (SET DEFAULT, ALTER COLUMN
                    # TYPE) is not a removal to wait for; nor one that removes r itself.
                    if any(_matches(dep, c) for c in s.creates):
                        continue
                    if not any(_covers(x, r) for x in s.removes):
                        edges.add((i, j))
    return edges


def _removers(dropping: _Index, dep: Key) -> set[int]:
    """Statements that may remove ``dep``: by its own key, its table's, or (a default) its
    column's. Looked up by name rather than by scanning every statement, which made a DROP
    SCHEMA with thousands of dependents quadratic in the plan's length."""
    found = set(dropping.find(dep))
    if dep[2] is not None:
        found.update(dropping.find(("rel", dep[1], None, dep[2])))
    if dep[0] == "default":
        found.update(dropping.find(("column", dep[1], dep[2], dep[3])))
    return found


def _toposort(stmts: list[Stmt], edges: set[tuple[int, int]]) -> list[Stmt]:
    """Kahn's algorithm, always taking the earliest statement (by migra's order) that is
    ready; on a cycle (which sound input cannot have), the earliest blocked one goes next."""
    n = len(stmts)
    succ: list[set[int]] = [set() for _ in range(n)]
    indeg = [0] * n
    for i, j in edges:
        if j not in succ[i]:
            succ[i].add(j)
            indeg[j] += 1

    def prio(i: int) -> tuple[int, float, int]:
        return (0 if stmts[i].first else 1, stmts[i].pos, i)

    ready = [prio(i) for i in range(n) if indeg[i] == 0]
    heapq.heapify(ready)
    done = [False] * n
    out: list[Stmt] = []
    while len(out) < n:
        if not ready:
            i = min((i for i in range(n) if not done[i]), key=prio)
            log.debug("dependency cycle; emitting %s in migra's order", stmts[i].text[:80])
            indeg[i] = 0
            heapq.heappush(ready, prio(i))
        _, _, i = heapq.heappop(ready)
        if done[i]:
            continue
        done[i] = True
        out.append(stmts[i])
        for j in succ[i]:
            indeg[j] -= 1
            if indeg[j] == 0 and not done[j]:
                heapq.heappush(ready, prio(j))
    return out


def fix(statements: list[str], a: Any, b: Any) -> list[str]:
    """Reorder (and complete) ``statements`` turning inspector ``a`` into ``b``."""
    # Statements for what migra misses entirely; their place is decided below.
    statements = (
        columns.statements(a, b)
        + enum_fixes.fix(statements, a, b)
        + domains.statements(a, b)
        + aggregates.statements(a, b)
    )
    text_search = textsearch.statements(a, b)
    parsed = _split(statements)
    if parsed is None or not hasattr(a, "diffcheck_catalog"):
        return statements
    stmts = [analyze(Stmt(text, node, float(i))) for i, (text, node) in enumerate(parsed)]
    stmts += _early(stmts, text_search)
    stmts += _function_result_changes(stmts, a, b)
    stmts += _view_replacements(stmts, a, b)
    extra: list[tuple[Stmt, Stmt]] = []
    _rebuilds(stmts, a, b, extra)
    _matview_parts(stmts, b)
    edges = _edges(stmts, a)
    ids = {id(s): i for i, s in enumerate(stmts)}
    edges |= {(ids[id(x)], ids[id(y)]) for x, y in extra if x is not y}
    return _without_repeated_drops(_toposort(stmts, edges))


def _without_repeated_drops(stmts: list[Stmt]) -> list[str]:
    """The statements' texts, less a ``DROP … IF EXISTS`` repeating an earlier identical one
    with nothing re-creating its object in between (migra and a rebuild around a change can
    both drop the same view): the second is a no-op that only lengthens the review."""
    out: list[str] = []
    dropped: set[str] = set()
    by_name: dict[tuple[str, str], list[tuple[Key, str]]] = {}
    for s in stmts:
        for c in s.creates:
            for key, text in by_name.get((c[0], c[3]), ()):
                if _matches(c, key):
                    dropped.discard(text)
        if isinstance(s.node, ast.DropStmt) and s.node.missing_ok and not s.creates:
            if s.text in dropped:
                continue
            dropped.add(s.text)
            for r in s.removes:
                by_name.setdefault((r[0], r[3]), []).append((r, s.text))
        out.append(s.text)
    return out
