"""Whole objects schemainspect never reads: extended statistics, rewrite rules, operators.

migra neither creates, drops nor compares ``CREATE STATISTICS`` objects, ``CREATE RULE``
rules (other than a view's own ``_RETURN``) or ``CREATE OPERATOR`` operators, so a missing or
changed one was invisible. Statistics and rules are compared by their PostgreSQL deparse;
operators (which have no deparse function) by their catalog row, with type and function
names resolved."""

from __future__ import annotations

from typing import Any, NamedTuple

from pglast import ast, parse_sql
from pglast.stream import RawStream

from .bs_common import Touched, keeps, not_extension, qname, quote_ident, rows, user_schema


class Statistics(NamedTuple):
    """An extended statistics object: its table, deparse and statistics target."""

    table_schema: str
    table: str
    definition: str
    target: int


class Rule(NamedTuple):
    """A rewrite rule: its deparse and firing state (pg_rewrite.ev_enabled)."""

    definition: str
    enabled: str


_STATISTICS = f"""
select n.nspname as schema, s.stxname as name, tn.nspname as table_schema,
    c.relname as table_name, pg_get_statisticsobjdef(s.oid) as definition,
    coalesce(s.stxstattarget, -1) as target
from pg_catalog.pg_statistic_ext s
join pg_catalog.pg_namespace n on n.oid = s.stxnamespace
join pg_catalog.pg_class c on c.oid = s.stxrelid
join pg_catalog.pg_namespace tn on tn.oid = c.relnamespace
where {user_schema()} and {not_extension("pg_statistic_ext", "s.oid")}
  and {not_extension("pg_class", "c.oid")}
"""

_RULES = f"""
select n.nspname as schema, c.relname as table_name, r.rulename as name,
    pg_get_ruledef(r.oid) as definition, r.ev_enabled as enabled
from pg_catalog.pg_rewrite r
join pg_catalog.pg_class c on c.oid = r.ev_class
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where r.rulename <> '_RETURN' and {user_schema()} and {not_extension("pg_class", "c.oid")}
"""

# Shell operators (oprcode 0, made by a COMMUTATOR or NEGATOR naming an operator that does not
# exist yet) are left out: they are placeholders, filled by the CREATE that follows.
_OPERATORS = f"""
select n.nspname as schema, o.oprname as name,
    case when o.oprleft = 0 then 'NONE' else format_type(o.oprleft, null) end as leftarg,
    format_type(o.oprright, null) as rightarg,
    quote_ident(fn.nspname) || '.' || quote_ident(f.proname) as function,
    cn.nspname as commutator_schema, c.oprname as commutator,
    nn.nspname as negator_schema, ng.oprname as negator,
    case when o.oprrest = 0 then null else o.oprrest::regproc::text end as restrict,
    case when o.oprjoin = 0 then null else o.oprjoin::regproc::text end as join_fn,
    o.oprcanhash as hashes, o.oprcanmerge as merges
from pg_catalog.pg_operator o
join pg_catalog.pg_namespace n on n.oid = o.oprnamespace
join pg_catalog.pg_proc f on f.oid = o.oprcode
join pg_catalog.pg_namespace fn on fn.oid = f.pronamespace
left join pg_catalog.pg_operator c on c.oid = o.oprcom
left join pg_catalog.pg_namespace cn on cn.oid = c.oprnamespace
left join pg_catalog.pg_operator ng on ng.oid = o.oprnegate
left join pg_catalog.pg_namespace nn on nn.oid = ng.oprnamespace
where o.oprcode <> 0 and {user_schema()} and {not_extension("pg_operator", "o.oid")}
"""

# The characters PostgreSQL allows in an operator name: anything else read from a catalog
# would be pasted into SQL unquoted (operator names cannot be quoted), so it is refused.
_OPERATOR_CHARS = frozenset("+-*/<>=~!@#%^&|`?")


class Operator(NamedTuple):
    """An operator's definition: resolved function, optimizer hints and flags."""

    function: str
    commutator: tuple[str, str] | None  # (schema, name)
    negator: tuple[str, str] | None
    restrict: str | None
    join: str | None
    hashes: bool
    merges: bool


_RULE_STATE = {"O": "enable", "D": "disable", "R": "enable replica", "A": "enable always"}


def read(cur: Any, filters: Any) -> dict[str, Any]:
    """Extended statistics objects and rules."""
    statistics = {
        (r.schema, r.name): Statistics(r.table_schema, r.table_name, r.definition, r.target)
        for r in rows(cur, _STATISTICS)
        if keeps(filters, r.schema, r.name) and keeps(filters, r.table_schema, r.table_name)
    }
    rules = {
        (r.schema, r.table_name, r.name): Rule(r.definition, r.enabled)
        for r in rows(cur, _RULES)
        if keeps(filters, r.schema, r.name, r.table_name)
    }
    operators = {
        (r.schema, r.name, r.leftarg, r.rightarg): Operator(
            r.function,
            (r.commutator_schema, r.commutator) if r.commutator else None,
            (r.negator_schema, r.negator) if r.negator else None,
            r.restrict,
            r.join_fn,
            r.hashes,
            r.merges,
        )
        for r in rows(cur, _OPERATORS)
        if keeps(filters, r.schema, r.name)
    }
    return {"statistics": statistics, "rules": rules, "operators": operators}


def _table_changed(touched: Touched, schema: str, table: str) -> bool:
    """migra alters or re-creates the table (a dropped column takes its statistics along)."""
    key = qname(schema, table)
    ta, tb = touched.a.tables.get(key), touched.b.tables.get(key)
    return touched.relation(schema, table) or (ta is not None and tb is not None and ta != tb)


def _idempotent(definition: str) -> str:
    """PostgreSQL's CREATE STATISTICS / CREATE RULE deparse made idempotent (IF NOT EXISTS,
    OR REPLACE) through pglast's AST."""
    node = parse_sql(definition)[0].stmt
    assert node is not None
    if isinstance(node, ast.CreateStatsStmt):
        node.if_not_exists = True
    elif isinstance(node, ast.RuleStmt):
        node.replace = True
    return str(RawStream()(node)) + ";"


def _statistics_statements(
    a: dict[Any, Statistics], b: dict[Any, Statistics], touched: Touched
) -> list[str]:
    out = []
    for (schema, name), sb in sorted(b.items()):
        sa = a.get((schema, name))
        target = qname(schema, name)
        if sa is not None and sa.definition != sb.definition:
            out.append(f"drop statistics if exists {target};")
            sa = None
        if sa is None or _table_changed(touched, sb.table_schema, sb.table):
            # IF NOT EXISTS: idempotent where migra's column changes may or may not drop it.
            out.append(_idempotent(sb.definition))
            if sb.target != -1:
                out.append(f"alter statistics {target} set statistics {sb.target};")
        elif sa.target != sb.target:
            out.append(f"alter statistics {target} set statistics {sb.target};")
    for schema, name in sorted(set(a) - set(b)):
        out.append(f"drop statistics if exists {qname(schema, name)};")
    return out


def _rule_statements(
    a: dict[Any, Rule], b: dict[Any, Rule], touched: Touched, b_relations: Any
) -> list[str]:
    out = []
    for (schema, table, name), rb in sorted(b.items()):
        ra = a.get((schema, table, name))
        fresh = ra is None or touched.relation(schema, table)
        if fresh or ra is None or ra.definition != rb.definition:
            # CREATE OR REPLACE: the same statement whether the rule is there or not.
            out.append(_idempotent(rb.definition))
        if (ra.enabled if ra is not None and not fresh else "O") != rb.enabled:
            out.append(
                f"alter table {qname(schema, table)} {_RULE_STATE[rb.enabled]} rule "
                f"{quote_ident(name)};"
            )
    for schema, table, name in sorted(set(a) - set(b)):
        if qname(schema, table) in b_relations:  # else the rule goes with its table
            out.append(f"drop rule if exists {quote_ident(name)} on {qname(schema, table)};")
    return out


def _operator_name(schema: str, name: str) -> str:
    if not name or not set(name) <= _OPERATOR_CHARS:
        raise ValueError(f"unexpected operator name {name!r} in schema {schema!r}")
    return f"{quote_ident(schema)}.{name}"


def _operator_signature(key: tuple[str, str, str, str]) -> str:
    schema, name, left, right = key
    return f"{_operator_name(schema, name)} ({left}, {right})"


def _create_operator(key: tuple[str, str, str, str], op: Operator) -> str:
    schema, name, left, right = key
    parts = [f"function = {op.function}"]
    if left != "NONE":
        parts.append(f"leftarg = {left}")
    parts.append(f"rightarg = {right}")
    # OPERATOR(schema.op): a commutator or negator in another schema than the search path.
    for label, other in (("commutator", op.commutator), ("negator", op.negator)):
        if other is not None:
            parts.append(f"{label} = operator({_operator_name(*other)})")
    for label, fn in (("restrict", op.restrict), ("join", op.join)):
        if fn is not None:
            parts.append(f"{label} = {fn}")
    parts += [flag for flag, on in (("hashes", op.hashes), ("merges", op.merges)) if on]
    return f"create operator {_operator_name(schema, name)} ({', '.join(parts)});"


def _operator_statements(a: dict[Any, Operator], b: dict[Any, Operator]) -> list[str]:
    out = []
    for key, ob in sorted(b.items()):
        oa = a.get(key)
        if oa == ob:
            continue
        if oa is not None and oa._replace(restrict=ob.restrict, join=ob.join) == ob:
            # Only the selectivity estimators differ: ALTER OPERATOR can change those in place.
            out.append(
                f"alter operator {_operator_signature(key)} set (restrict = "
                f"{ob.restrict or 'none'}, join = {ob.join or 'none'});"
            )
            continue
        if oa is not None:
            out.append(f"drop operator if exists {_operator_signature(key)};")
        out.append(_create_operator(key, ob))
    for key in sorted(set(a) - set(b)):
        out.append(f"drop operator if exists {_operator_signature(key)};")
    return out


def statements(a: Any, b: Any, touched: Touched) -> list[str]:
    """CREATE / DROP / ALTER for statistics objects, rules and operators."""
    fa, fb = a.diffcheck_facts, b.diffcheck_facts
    return (
        _statistics_statements(fa.get("statistics", {}), fb.get("statistics", {}), touched)
        + _rule_statements(fa.get("rules", {}), fb.get("rules", {}), touched, b.relations)
        + _operator_statements(fa.get("operators", {}), fb.get("operators", {}))
    )
