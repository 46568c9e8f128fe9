"""The comparison engine: the only module that imports migra and schemainspect.

Inspector: :func:`inspect` reads a database's catalogs in a read-only transaction.
Differ: :func:`diff` asks migra for the statements that turn one inspection into another,
after :mod:`diffcheck.normalize` has made deparse-only differences disappear, and checks that
every statement parses to exactly one statement."""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import migra  # type: ignore[import-untyped]
import pglast
import schemainspect  # type: ignore[import-untyped]
from migra import Migration
from pglast.parser import ParseError
from schemainspect import get_inspector
from schemainspect.pg import obj as si_obj  # type: ignore[import-untyped]

from . import __version__, catalog, fixups, gcpause, locks, pg, snapshot, stable
from .errors import UnsafeSQL
from .pg import Connection, without_nested_loops

log = logging.getLogger(__name__)

# diffcheck's own history lives here; it is never part of anybody's desired schema.
INTERNAL_SCHEMAS = ("diffcheck",)

# The inspector attributes that hold schema objects keyed by name.
_OBJECT_PROPS = (
    "schemas",
    "relations",
    "tables",
    "views",
    "materialized_views",
    "composite_types",
    "functions",
    "selectables",
    "sequences",
    "constraints",
    "indexes",
    "enums",
    "extensions",
    "privileges",
    "collations",
    "triggers",
    "rlspolicies",
    "types",
    "domains",
)


def versions() -> dict[str, str]:
    """Versions that determine the engine's output (used in plans and cache keys)."""
    return {
        "diffcheck": __version__,
        "migra": getattr(migra, "__version__", None) or _dist_version("migra"),
        "schemainspect": getattr(schemainspect, "__version__", None)
        or _dist_version("schemainspect"),
    }


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Filters:
    """Which objects take part in a comparison."""

    include_schemas: tuple[str, ...] = ()
    exclude_schemas: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # globs over "schema.name"

    def keeps_schema(self, schema: str | None) -> bool:
        """Whether objects in ``schema`` take part."""
        if schema is None:
            return True
        if schema in INTERNAL_SCHEMAS or schema in self.exclude_schemas:
            return False
        return not self.include_schemas or schema in self.include_schemas

    def keeps_name(self, schema: str | None, *names: str | None) -> bool:
        """False when any of ``schema.name`` matches an exclude glob."""
        if not self.exclude:  # the usual case, asked once per catalog row
            return True
        for name in names:
            if name and schema is not None:
                full = f"{schema}.{name}"
                if any(fnmatch.fnmatchcase(full, g) for g in self.exclude):
                    return False
        return True


@dataclass
class Inspection:
    """A database's inspected catalogs, plus where they came from."""

    inspector: Any
    major: int
    label: str
    extra: dict[str, Any] = field(default_factory=dict)


def _keep(obj: Any, filters: Filters) -> bool:
    schema = getattr(obj, "schema", None)
    if not filters.keeps_schema(schema):
        return False
    if not filters.exclude:  # asked once per object: skip the name lookups when no globs
        return True
    names = [getattr(obj, "name", None), getattr(obj, "table_name", None)]
    return filters.keeps_name(schema, *names)


def apply_filters(inspector: Any, filters: Filters) -> None:
    """Drop filtered objects from every collection of an inspector, in place."""
    for prop in _OBJECT_PROPS:
        coll = getattr(inspector, prop, None)
        if not isinstance(coll, dict):
            continue
        dropped = {k for k, v in coll.items() if not _keep(v, filters)}
        if dropped:  # usually nothing is: the collection is then kept as it is
            setattr(
                inspector, prop, type(coll)((k, v) for k, v in coll.items() if k not in dropped)
            )
    # Dependency lists may still name filtered objects; migra looks them up by key.
    selectables = inspector.selectables
    for sel in selectables.values():
        for attr in ("dependents", "dependent_on", "dependents_all", "dependent_on_all"):
            deps = getattr(sel, attr, None)
            if isinstance(deps, list):
                setattr(sel, attr, [d for d in deps if d in selectables])


def inspect(
    conn: Connection,
    label: str,
    filters: Filters,
    lock_timeout: float | None = None,
    connect: Callable[[], Connection] | None = None,
) -> Inspection:
    """Inspect the database behind ``conn`` inside a read-only transaction (rolled back).

    Inspection takes ACCESS SHARE locks (pg_get_indexdef and friends), so a table held in
    ACCESS EXCLUSIVE elsewhere would block it forever; ``lock_timeout`` (seconds) bounds
    that wait and turns it into a LockError naming who holds the lock. With ``connect`` (more
    connections to the same database), a large database is read over several connections
    sharing one snapshot (see :mod:`diffcheck.snapshot`)."""
    import psycopg2.errors

    from .errors import LockError
    from .pg import server_major

    settings = list(_SETTINGS)
    if lock_timeout is not None:
        settings.append(("lock_timeout", str(int(max(lock_timeout, 0.001) * 1000))))
    old_autocommit = conn.autocommit
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            _begin(cur, settings)
            shared = None
            if connect is not None and snapshot.worth_sharing(cur):
                shared = snapshot.SharedSnapshot(conn, connect, snapshot.helpers(), settings)
                if not shared.open():
                    shared = None
                    conn.rollback()
                    _begin(cur, settings)
            try:
                with shared or contextlib.nullcontext(), gcpause.paused():
                    inspector = _inspect_cursor(cur, filters, shared)
            except psycopg2.errors.LockNotAvailable:
                # Who held the lock is read now, on this connection (see diffcheck.locks).
                held = locks.after_timeout(conn, lock_timeout)
                raise LockError(f"inspecting {label}: {held}") from None
    finally:
        conn.rollback()
        conn.autocommit = old_autocommit
    return Inspection(inspector=inspector, major=server_major(conn), label=label)


# Transaction-local settings of every inspecting transaction (and of its helpers):
# - JIT off: catalog queries are many-branched and cheap to run, but costed high enough for
#   PostgreSQL's JIT; compiling one (diffcheck's dependency query) took 2.7 s of lago's 3.4 s
#   inspection.
# - work_mem: the default 4 MB made the relations and indexes queries sort on disk from a
#   few thousand tables (7 MB spilled at 5,000); memory is only taken by sorts that need it.
# - search_path, TimeZone, DateStyle and the rest: one deparse for every inspection, whatever
#   live's database or role sets (see pg.DEPARSE_SETTINGS).
_SETTINGS = (("jit", "off"), ("work_mem", "32MB"), *pg.DEPARSE_SETTINGS)


def _begin(cur: Any, settings: list[tuple[str, str]]) -> None:
    # One snapshot for every query (and for the helpers that import it).
    cur.execute("set transaction isolation level repeatable read, read only")
    pg.set_settings(cur, settings)


def column_types(inspection: Inspection) -> dict[str, str]:
    """ "schema.table.column" -> current type as SQL, for hazard classification."""
    out: dict[str, str] = {}
    for table in inspection.inspector.tables.values():
        for name, col in table.columns.items():
            out[f"{table.schema}.{table.name}.{name}"] = str(col.dbtypestr)
    return out


def inspect_in_transaction(conn: Connection, label: str, filters: Filters) -> Inspection:
    """Inspect inside the caller's open transaction (used to verify before commit)."""
    from .pg import server_major

    with conn.cursor() as cur:
        # For the rest of the caller's transaction (see _SETTINGS).
        pg.set_settings(cur, _SETTINGS)
        with gcpause.paused():
            inspector = _inspect_cursor(cur, filters, None)
    return Inspection(inspector=inspector, major=server_major(conn), label=label)


def _inspect_cursor(cur: Any, filters: Filters, shared: snapshot.SharedSnapshot | None) -> Any:
    # The caller's transaction has JIT off already (_begin, inspect_in_transaction).
    if shared is None:
        inspector = get_inspector(cur)
        inherited = catalog.inherited(cur)
        facts = fixups.read_facts(cur, filters)
    else:
        # Every query is sent to the helpers at once, schemainspect's first (in the order
        # it asks for them); this thread builds its objects from the rows as they arrive.
        queries = _SchemainspectQueries(cur)
        cur.diffcheck_prefetched = {
            query: shared.submit(functools.partial(_schemainspect_rows, query=query, name=name))
            for query, name in queries.texts()
        }
        inherited_f = shared.submit(catalog.inherited)
        facts_f = [
            shared.submit(functools.partial(_read_facts, read, filters=filters))
            for read in fixups.fact_readers()
        ]
        try:
            inspector = get_inspector(cur)
        finally:
            del cur.diffcheck_prefetched
        inherited = inherited_f.result()
        facts = fixups.merge_facts(f.result() for f in facts_f)
    fixups.fill_index_definitions(
        cur,
        {(ix.schema, ix.name): ix.definition for ix in inspector.indexes.values()},
        facts,
        inherited.catalog.part_indexes.values() if inherited.catalog is not None else (),
    )
    # Partitions' inherited indexes, constraints and triggers belong to PostgreSQL: creating
    # or dropping them one by one fails, so they are not compared at all.
    catalog.drop_inherited(inspector, inherited)
    apply_filters(inspector, filters)
    # A policy's roles are a set, but schemainspect lists them in catalog scan order, which
    # differs between a database built from scratch and one migrated: sorted, the same
    # policy compares equal instead of being dropped and re-created on every run.
    for policy in inspector.rlspolicies.values():
        if isinstance(policy.roles, list):
            policy.roles = sorted(policy.roles)
    # Facts schemainspect does not read (identity, sequence options, reloptions, comments,
    # replica identity, RLS force, ...), compared by diffcheck itself.
    inspector.diffcheck_facts = facts
    fixups.annotate(inspector)
    return inspector


def _read_facts(read: Callable[[Any, Any], dict[str, Any]], cur: Any, filters: Filters) -> Any:
    return read(cur, filters)


def sql_literal(value: str) -> str:
    """A standard SQL string literal (standard_conforming_strings is on since 9.1)."""
    return "'" + value.replace("'", "''") + "'"


def _enum_additions(a: Any, b: Any) -> tuple[list[str], dict[str, list[str]]]:
    """``ALTER TYPE ... ADD VALUE`` for enums that only gained labels, in position.

    migra rebuilds such an enum (rename, create, re-cast every column, drop), which rewrites
    tables and breaks on indexes and checks that compare the enum. Adding values in place is
    what a DBA would write. Returns the statements and the ``from`` side's labels to give back
    once migra, which must see the enums as equal, has run."""
    out: list[str] = []
    saved: dict[str, list[str]] = {}
    for key, ea in a.enums.items():
        eb = b.enums.get(key)
        if eb is None or list(ea.elements) == list(eb.elements):
            continue
        old, new = list(ea.elements), list(eb.elements)
        if [e for e in new if e in old] != old or len(set(new)) != len(new):
            continue  # removal or reorder: left to the rebuild path
        for i, label in enumerate(new):
            if label in old:
                continue
            following = next((x for x in new[i + 1 :] if x in old), None)
            where = (
                f"before {sql_literal(following)}"
                if following is not None
                else f"after {sql_literal(new[i - 1])}"
                if i > 0
                else ""
            )
            out.append(
                f"alter type {eb.quoted_full_name} add value {sql_literal(label)} {where}".rstrip()
                + ";"
            )
        saved[key] = old
        ea.elements = list(new)
    return out, saved


def raw_diff(a: Inspection, b: Inspection, *, privileges: bool) -> list[str]:
    """migra's statements turning ``a`` into ``b``, with diffcheck's pre-processing."""
    with gcpause.paused():
        return _raw_diff(a, b, privileges=privileges)


def _raw_diff(a: Inspection, b: Inspection, *, privileges: bool) -> list[str]:
    pre, saved = _enum_additions(a.inspector, b.inspector)
    _compared.memo = {}
    try:
        m = Migration(a.inspector, b.inspector)
        m.set_safety(False)
        # migra's privilege statements cover table grants only and paste role names
        # unquoted; diffcheck's own (fixups.privileges) replace them entirely.
        m.add_all_changes(privileges=False)
        statements = [s.strip() for s in m.statements if s and s.strip()]
    finally:
        _compared.memo = None
        for key, labels in saved.items():
            a.inspector.enums[key].elements = labels
    return fixups.postprocess(pre + statements, a.inspector, b.inspector, privileges=privileges)


def refusal(reason: str) -> str:
    """A statement that can never succeed and says why: used for differences diffcheck will
    not (or cannot) migrate. It makes ``check`` report the difference, and any rehearsal
    fail with the reason, so such a plan is UNVERIFIED and can never be approved."""
    return fixups.refusal(reason)


def _patch_quoting() -> None:
    """migra pastes enum labels and policy role names into SQL unquoted: a label such as
    O'Brien breaks the statement, and a crafted one injects SQL. Quote them properly."""
    from schemainspect.pg import obj

    def quoted_elements(self: Any) -> str:
        return ", ".join(sql_literal(e) for e in self.elements)

    obj.InspectedEnum.quoted_elements = property(quoted_elements)

    original = obj.InspectedRowPolicy.create_statement.fget

    def create_statement(self: Any) -> str:
        roles = self.roles
        saved = roles
        try:
            self.roles = [r if r == "public" else obj.quoted_identifier(r) for r in roles]
            return str(original(self))
        finally:
            self.roles = saved

    obj.InspectedRowPolicy.create_statement = property(create_statement)


@functools.lru_cache(maxsize=64)
def materialize_ctes(query: str, names: frozenset[str] = frozenset({"enums"})) -> str:
    """The same query with the named CTEs of its top-level WITH marked MATERIALIZED.

    schemainspect's relations query references its ``enums`` CTE from a correlated subquery;
    inlined, the planner rescans it once per relation and the inspection goes quadratic at
    thousands of tables. Materialized, it runs once. Only named CTEs (see _MATERIALIZED):
    materializing every CTE (e.g. the dependencies query's) blocks predicate push-down and
    was measured here to make chado's inspection take 90 minutes instead of 27 s. Rewritten
    through pglast's AST, never by editing the text."""
    try:
        stmts = pglast.parse_sql(query)
    except ParseError:
        return query
    if len(stmts) != 1:
        return query
    node = stmts[0].stmt
    if node is None:
        return query
    clause = getattr(node, "withClause", None)
    if clause is None or not clause.ctes:
        return query
    targets = [cte for cte in clause.ctes if cte.ctename in names]
    if not targets:
        return query
    from pglast.enums import CTEMaterialize
    from pglast.stream import RawStream

    for cte in targets:
        cte.ctematerialized = CTEMaterialize.CTEMaterializeAlways
    return str(RawStream()(node))


# Conditions that make schemainspect's rows depend on who inspects rather than on the schema:
# - pg_type_is_visible: the domains and types queries keep only types on the inspecting
#   session's search_path, so a domain or composite type in any other schema (``app.pos``)
#   was never compared, and a changed CHECK on it was reported "in sync";
# - privilege tests: the functions query hides functions the role may not execute, and the
#   bodies and argument defaults of functions it does not own; the constraints query hides
#   constraints of tables it has no privilege on. A CI role that does not own live then saw
#   every function as changed, and, worse, never saw an extra function or constraint in
#   live, which reads as "in sync". The catalogs themselves are readable by every role.
_SESSION_DEPENDENT = frozenset(
    {
        "pg_type_is_visible",
        "pg_has_role",
        "has_function_privilege",
        "has_table_privilege",
        "has_any_column_privilege",
    }
)


@functools.lru_cache(maxsize=64)
def without_session_filters(query: str) -> str:
    """The same query with every ``_SESSION_DEPENDENT`` call replaced by ``true``: in an AND
    list, a WHERE or a CASE WHEN alike, the condition then always holds, and the rows are
    the same for every role and search_path. Done on the AST, never by editing the text."""
    if not any(name in query for name in _SESSION_DEPENDENT):
        return query
    try:
        stmts = pglast.parse_sql(query)
    except ParseError:
        return query
    if len(stmts) != 1 or stmts[0].stmt is None:
        return query
    from pglast import ast
    from pglast.stream import RawStream

    def is_filter(node: Any) -> bool:
        if not isinstance(node, ast.FuncCall):
            return False
        names = [n.sval for n in node.funcname or () if isinstance(n, ast.String)]
        return bool(names) and names[-1] in _SESSION_DEPENDENT

    def true() -> Any:
        return ast.A_Const(val=ast.Boolean(boolval=True))

    changed = False

    def replace(node: Any) -> None:
        nonlocal changed
        if isinstance(node, ast.Node):
            for attr in node:
                value = getattr(node, attr)
                if is_filter(value):
                    setattr(node, attr, true())
                    changed = True
                elif isinstance(value, tuple) and any(is_filter(v) for v in value):
                    setattr(node, attr, tuple(true() if is_filter(v) else v for v in value))
                    changed = True
                replace(getattr(node, attr))
        elif isinstance(node, tuple | list):
            for item in node:
                replace(item)

    replace(stmts[0].stmt)
    return str(RawStream()(stmts[0].stmt)) if changed else query


# CTEs materialized per query (see materialize_ctes), besides ``enums`` everywhere. The
# indexes query's ``pre`` is read four times (every column, then the key and included slices
# of its index_columns subquery): inlined, that subquery ran three extra times per index.
_MATERIALIZED = {"INDEXES": frozenset({"enums", "pre"})}
_DEFAULT_MATERIALIZED = frozenset({"enums"})


def _rewritten(query: str, name: str | None = None) -> str:
    """schemainspect's query ``name`` with diffcheck's fixes (see the functions above)."""
    query = without_session_filters(query)
    if query.lstrip().lower().startswith("with"):
        query = materialize_ctes(query, _MATERIALIZED.get(name or "", _DEFAULT_MATERIALIZED))
    return query


def _schemainspect_rows(cur: Any, query: str, name: str | None) -> list[Any]:
    """The rows of schemainspect's query ``name``, run with diffcheck's fixes."""
    rewritten = _rewritten(query, name)

    def run() -> list[Any]:
        cur.execute(rewritten)
        return list(cur.fetchall())

    return without_nested_loops(cur, run) if name == "DEPS" else run()


class _SchemainspectQueries(si_obj.PostgreSQL):  # type: ignore[misc]
    """schemainspect's query texts for this server, without running any of them: its
    constructor picks the texts by server version, then loads, and loading is skipped."""

    def load_all(self) -> None:
        pass

    def texts(self) -> list[tuple[str, str]]:
        """(query, name), in the order ``load_all`` runs them."""
        order = [
            "SCHEMAS", "ENUMS", "ALL_RELATIONS", "INDEXES", "SEQUENCES", "CONSTRAINTS",
            "EXTENSIONS", "FUNCTIONS", "PRIVILEGES", "TRIGGERS", "COLLATIONS", "RLSPOLICIES",
            "TYPES", "DOMAINS", "DEPS",
        ]  # fmt: skip
        names = [n for n in order if hasattr(self, n + "_QUERY")]
        extra = (n.removesuffix("_QUERY") for n in vars(self) if n.endswith("_QUERY"))
        names += sorted(n for n in extra if n not in order)
        out = []
        for name in names:
            query = getattr(self, name + "_QUERY")
            if isinstance(query, str):
                out.append((query, name))
        return out


# Equality of (from, to) object pairs within one migra diff, by identity: nothing is changed
# while migra runs. Each entry keeps its pair alive, so that an id cannot be reused by
# another object during the diff. Per thread, because a fleet diffs several targets at once.
_compared = threading.local()


def _differences(a: Any, b: Any, add_dependencies_for_modifications: bool = True) -> Any:
    """migra.util.differences, comparing each pair of common objects once.

    migra's compares every common pair twice (``!=`` for modified, ``==`` for unmodified),
    and a diff asks for the selectables' differences in six calls: a table's equality
    compares all its columns, so that was 12 comparisons of every table (3 s of an in-sync
    check at 5,000 tables)."""
    memo: dict[tuple[int, int], tuple[bool, Any, Any]] | None = getattr(_compared, "memo", None)
    added = OrderedDict((k, b[k]) for k in sorted(b.keys() - a.keys()))
    removed = OrderedDict((k, a[k]) for k in sorted(a.keys() - b.keys()))
    modified: OrderedDict[Any, Any] = OrderedDict()
    unmodified: OrderedDict[Any, Any] = OrderedDict()
    for k in sorted(a.keys() & b.keys()):
        x, y = a[k], b[k]
        known = memo.get((id(x), id(y))) if memo is not None else None
        if known is None:
            same = bool(x == y)
            if memo is not None:
                memo[(id(x), id(y))] = (same, x, y)
        else:
            same = known[0]
        (unmodified if same else modified)[k] = y
    return added, removed, modified, unmodified


def _patch_differences() -> None:
    import migra.changes  # type: ignore[import-untyped]
    import migra.util  # type: ignore[import-untyped]

    migra.util.differences = _differences
    migra.changes.differences = _differences


def _patch_inspection_queries() -> None:
    original = si_obj.PostgreSQL.execute

    def execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(query, str) or args or kwargs:
            return original(self, query, *args, **kwargs)
        prefetched = getattr(self.c, "diffcheck_prefetched", None)
        if prefetched is not None and query in prefetched:
            return prefetched.pop(query).result()
        # The constructor sets each processed text as an instance attribute (see texts()).
        name = next((n.removesuffix("_QUERY") for n, q in vars(self).items() if q is query), None)
        return _schemainspect_rows(self.c, query, name)

    si_obj.PostgreSQL.execute = execute


_patch_quoting()
_patch_inspection_queries()
_patch_differences()


def split_checked(statements: Iterable[str]) -> list[str]:
    """Each generated chunk split into single statements; anything that does not parse is
    refused, because a statement we cannot parse is a statement we cannot vouch for."""
    out: list[str] = []
    for chunk in statements:
        try:
            raw = pglast.parse_sql(chunk)
        except ParseError as exc:
            raise UnsafeSQL(
                f"generated SQL does not parse ({exc.args[0]}): {chunk[:200]}"
            ) from None
        for stmt in raw:
            start = stmt.stmt_location or 0
            length = stmt.stmt_len or (len(chunk) - start)
            text = chunk[start : start + length].strip()
            if text:
                # Created from PostgreSQL's deparse: protected so that re-parsing it gives
                # the desired tree back (see diffcheck.stable).
                out.append(stable.protect(text) + ";")
    return out
