"""Make deparse-only differences disappear, by asking PostgreSQL, not by rewriting text.

migra compares expressions as the text PostgreSQL deparses. The same expression can deparse
two ways: ``CHECK (side IN ('buy','sell'))`` on a varchar column deparses to
``ARRAY['buy'::varchar, ...]::text[]``, and re-creating the constraint from *that* text deparses
to ``ARRAY[('buy'::varchar)::text, ...]``. Compared as text they never agree, so bare migra
emits drop+add forever: the seeds' migration loop, one level down.

The rule here: two expressions are equal when their **round-trip fixpoints** are equal. An
expression's fixpoint is found by re-creating it in a context database (inside a savepoint that
is always rolled back), reading PostgreSQL's deparse, and repeating until the text stops
changing. Only objects present on both sides whose texts differ are round-tripped, so the cost
is proportional to the differences, not to the schema. When the fixpoints agree, the ``from``
side's text is replaced by the ``to`` side's, so migra sees them equal."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pglast
import psycopg2
from pglast.stream import RawStream
from psycopg2 import sql

from .pg import DEPARSE_SETTINGS, Connection, set_settings

log = logging.getLogger(__name__)

TMP = "__diffcheck_norm"
MAX_ROUNDS = 4


class _Context:
    """A transaction on a context database in which round trips run and are rolled back."""

    def __init__(self, conn: Connection, settings: tuple[tuple[str, str], ...]) -> None:
        self.conn = conn
        self.cur = conn.cursor()
        self._n = 0
        # Deparse as inspection does, for the whole transaction.
        set_settings(self.cur, settings)

    def attempt(self, statement: sql.Composable, query: sql.Composable) -> tuple[Any, ...] | None:
        """Execute ``statement`` then ``query`` in a savepoint that is rolled back."""
        self._n += 1
        sp = sql.Identifier(f"dc_norm_{self._n}")
        self.cur.execute(sql.SQL("savepoint {}").format(sp))
        try:
            self.cur.execute(statement)
            self.cur.execute(query)
            row = self.cur.fetchone()
            return tuple(row) if row is not None else None
        except psycopg2.Error as exc:
            log.debug("round trip failed: %s", exc)
            return None
        finally:
            self.cur.execute(sql.SQL("rollback to savepoint {}").format(sp))

    def fixpoint(
        self, text: str, build: Callable[[str], tuple[sql.Composable, sql.Composable]]
    ) -> tuple[Any, ...] | None:
        """Round-trip ``text`` until PostgreSQL's deparse stops changing."""
        current: tuple[Any, ...] | None = None
        for _ in range(MAX_ROUNDS):
            statement, query = build(text)
            row = self.attempt(statement, query)
            if row is None:
                return current
            if current is not None and row == current:
                return row
            current = row
            text = str(row[0])
        return current


def _table(obj: Any) -> sql.Composable:
    return sql.SQL("{}.{}").format(sql.Identifier(obj.schema), sql.Identifier(obj.table_name))


def _rel(schema: str, name: str) -> sql.Composable:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))


def _constraint_pairs(a: Any, b: Any) -> Iterator[tuple[Any, Any]]:
    for key, ca in a.constraints.items():
        cb = b.constraints.get(key)
        if cb is None or ca.definition == cb.definition:
            continue
        if getattr(cb, "constraint_type", None) in ("CHECK", "EXCLUDE", "c", "x"):
            yield ca, cb


def _norm_constraints(ctx: _Context, a: Any, b: Any) -> int:
    n = 0
    for ca, cb in _constraint_pairs(a, b):

        def build(text: str, c: Any = cb) -> tuple[sql.Composable, sql.Composable]:
            stmt = sql.SQL("alter table {} add constraint {} {}").format(
                _table(c), sql.Identifier(TMP), sql.SQL(text)
            )
            query = sql.SQL(
                "select pg_get_constraintdef(oid) from pg_constraint "
                "where conname = {} and conrelid = {}::regclass"
            ).format(sql.Literal(TMP), sql.Literal(_table(c).as_string(ctx.conn)))
            return stmt, query

        fa, fb = ctx.fixpoint(ca.definition, build), ctx.fixpoint(cb.definition, build)
        if fa is not None and fa == fb:
            ca.definition = cb.definition
            n += 1
    return n


def _default_pairs(a: Any, b: Any) -> Iterator[tuple[Any, str, Any, Any]]:
    for key, ta in a.tables.items():
        tb = b.tables.get(key)
        if tb is None:
            continue
        for cname, col_a in ta.columns.items():
            col_b = tb.columns.get(cname)
            if col_b is None or not col_a.default or not col_b.default:
                continue
            if col_a.default == col_b.default or col_a.is_generated or col_b.is_generated:
                continue
            if not (col_a.is_identity or col_b.is_identity):
                yield tb, cname, col_a, col_b


def _norm_defaults(ctx: _Context, a: Any, b: Any) -> int:
    n = 0
    for tb, cname, col_a, col_b in _default_pairs(a, b):

        def build(text: str, t: Any = tb, c: str = cname) -> tuple[sql.Composable, sql.Composable]:
            rel = _rel(t.schema, t.name)
            stmt = sql.SQL("alter table {} alter column {} set default {}").format(
                rel, sql.Identifier(c), sql.SQL(text)
            )
            query = sql.SQL(
                "select pg_get_expr(d.adbin, d.adrelid) from pg_attrdef d "
                "join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum "
                "where d.adrelid = {}::regclass and a.attname = {}"
            ).format(sql.Literal(rel.as_string(ctx.conn)), sql.Literal(c))
            return stmt, query

        fa, fb = ctx.fixpoint(col_a.default, build), ctx.fixpoint(col_b.default, build)
        if fa is not None and fa == fb:
            col_a.default = col_b.default
            n += 1
    return n


def _renamed_index(definition: str) -> str | None:
    """The index definition with its name replaced by the temporary name (via the AST)."""
    try:
        stmts = pglast.parse_sql(definition)
    except pglast.parser.ParseError:
        return None
    if len(stmts) != 1 or not isinstance(stmts[0].stmt, pglast.ast.IndexStmt):
        return None
    node = stmts[0].stmt
    node.idxname = TMP
    return str(RawStream()(node))


def _index_pairs(a: Any, b: Any) -> Iterator[tuple[Any, Any]]:
    for key, ia in a.indexes.items():
        ib = b.indexes.get(key)
        if ib is not None and ia != ib:
            yield ia, ib


def _norm_indexes(ctx: _Context, a: Any, b: Any) -> int:
    n = 0
    fields = ("definition", "key_expressions", "partial_predicate", "key_options", "key_columns")
    for ia, ib in _index_pairs(a, b):

        def build(text: str, i: Any = ib) -> tuple[sql.Composable, sql.Composable]:
            renamed = _renamed_index(text) or "select 1/0"
            query = sql.SQL(
                "select pg_get_indexdef(x.indexrelid) as definition, "
                "pg_get_expr(x.indexprs, x.indrelid) as exprs, "
                "pg_get_expr(x.indpred, x.indrelid) as pred, x.indoption::text as opts, "
                "x.indkey::text as keys "
                "from pg_index x where x.indexrelid = {}::regclass"
            ).format(sql.Literal(_rel(i.schema, TMP).as_string(ctx.conn)))
            return sql.SQL(renamed), query

        fa, fb = ctx.fixpoint(ia.definition, build), ctx.fixpoint(ib.definition, build)
        if fa is not None and fa == fb:
            for f in fields:
                setattr(ia, f, getattr(ib, f))
            n += 1
    return n


def _view_pairs(a: Any, b: Any) -> Iterator[tuple[Any, Any]]:
    for key, va in a.selectables.items():
        vb = b.selectables.get(key)
        if vb is None or getattr(vb, "relationtype", None) not in ("v", "m"):
            continue
        if va.relationtype == vb.relationtype and va.definition != vb.definition:
            yield va, vb


def _norm_views(ctx: _Context, a: Any, b: Any) -> int:
    n = 0
    for va, vb in _view_pairs(a, b):
        kind = "materialized view" if vb.relationtype == "m" else "view"
        suffix = " with no data" if vb.relationtype == "m" else ""

        def build(
            text: str, v: Any = vb, kind: str = kind, suffix: str = suffix
        ) -> tuple[sql.Composable, sql.Composable]:
            body = text.strip().rstrip(";")
            stmt = sql.SQL("create " + kind + " {} as {}" + suffix).format(
                _rel(v.schema, TMP), sql.SQL(body)
            )
            query = sql.SQL("select pg_get_viewdef({}::regclass)").format(
                sql.Literal(_rel(v.schema, TMP).as_string(ctx.conn))
            )
            return stmt, query

        fa, fb = ctx.fixpoint(va.definition, build), ctx.fixpoint(vb.definition, build)
        if fa is not None and fa == fb:
            va.definition = vb.definition
            n += 1
    return n


def _policy_pairs(a: Any, b: Any) -> Iterator[tuple[Any, Any]]:
    for key, pa in a.rlspolicies.items():
        pb = b.rlspolicies.get(key)
        if pb is not None and (pa.qual != pb.qual or pa.withcheck != pb.withcheck):
            yield pa, pb


def _norm_policies(ctx: _Context, a: Any, b: Any) -> int:
    n = 0
    for pa, pb in _policy_pairs(a, b):

        def build_one(column: str, p: Any = pb) -> Callable[[str], tuple[Any, Any]]:
            def build(text: str) -> tuple[sql.Composable, sql.Composable]:
                clause = "using ({})" if column == "qual" else "with check ({})"
                cmd = "all" if column == "qual" else "insert"
                stmt = sql.SQL("create policy {} on {} for " + cmd + " " + clause).format(
                    sql.Identifier(TMP), _table(p), sql.SQL(text)
                )
                query = sql.SQL(
                    "select " + column + " from pg_policies where policyname = {} "
                    "and schemaname = {} and tablename = {}"
                ).format(sql.Literal(TMP), sql.Literal(p.schema), sql.Literal(p.table_name))
                return stmt, query

            return build

        same = True
        for column in ("qual", "withcheck"):
            ta, tb = getattr(pa, column), getattr(pb, column)
            if ta == tb:
                continue
            if not ta or not tb:
                same = False
                break
            fa, fb = ctx.fixpoint(ta, build_one(column)), ctx.fixpoint(tb, build_one(column))
            if fa is None or fa != fb:
                same = False
                break
        if same:
            pa.qual, pa.withcheck = pb.qual, pb.withcheck
            n += 1
    return n


def needs_round_trip(a: Any, b: Any) -> bool:
    """Whether any expression differs in text between ``a`` and ``b``, i.e. whether
    :func:`normalize_pair` has anything to decide (and so needs a database shaped like ``b``).
    When only whole objects, columns or attributes differ, no scratch database is needed."""
    pairs: tuple[Iterator[Any], ...] = (
        _constraint_pairs(a, b),
        _default_pairs(a, b),
        _index_pairs(a, b),
        _view_pairs(a, b),
        _policy_pairs(a, b),
    )
    return any(next(p, None) is not None for p in pairs)


def normalize_pair(a: Any, b: Any, context: Connection) -> int:
    """Equalize deparse-only differences between inspectors ``a`` (from) and ``b`` (to).

    ``context`` must be a writable connection to a database shaped like ``b`` (normally the
    desired scratch database); everything done there is rolled back. Returns how many objects
    were found equal."""
    old_autocommit = context.autocommit
    context.autocommit = False
    ctx = _Context(context, DEPARSE_SETTINGS)
    try:
        return (
            _norm_constraints(ctx, a, b)
            + _norm_defaults(ctx, a, b)
            + _norm_indexes(ctx, a, b)
            + _norm_views(ctx, a, b)
            + _norm_policies(ctx, a, b)
        )
    finally:
        ctx.cur.close()
        context.rollback()
        context.autocommit = old_autocommit
