"""Whole objects schemainspect never reads: extended statistics and rewrite rules.

migra neither creates, drops nor compares ``CREATE STATISTICS`` objects or ``CREATE RULE``
rules (other than a view's own ``_RETURN``), so a missing or changed one was invisible.
Both are compared by their PostgreSQL deparse."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

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
    return {"statistics": statistics, "rules": rules}


def _table_changed(touched: Touched, schema: str, table: str) -> bool:
    """migra alters or re-creates the table (a dropped column takes its statistics along)."""
    key = qname(schema, table)
    ta, tb = touched.a.tables.get(key), touched.b.tables.get(key)
    return touched.relation(schema, table) or (ta is not None and tb is not None and ta != tb)


def _with(definition: str, pattern: str, replacement: str) -> str:
    return re.sub(pattern, replacement, definition.strip().rstrip(";"), count=1, flags=re.I) + ";"


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
            out.append(
                _with(sb.definition, r"^create statistics ", "CREATE STATISTICS IF NOT EXISTS ")
            )
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
            out.append(_with(rb.definition, r"^create rule ", "CREATE OR REPLACE RULE "))
        if (ra.enabled if ra is not None and not fresh else "O") != rb.enabled:
            out.append(
                f"alter table {qname(schema, table)} {_RULE_STATE[rb.enabled]} rule "
                f"{quote_ident(name)};"
            )
    for schema, table, name in sorted(set(a) - set(b)):
        if qname(schema, table) in b_relations:  # else the rule goes with its table
            out.append(f"drop rule if exists {quote_ident(name)} on {qname(schema, table)};")
    return out


def statements(a: Any, b: Any, touched: Touched) -> list[str]:
    """CREATE / DROP / ALTER for statistics objects and rules."""
    fa, fb = a.diffcheck_facts, b.diffcheck_facts
    return _statistics_statements(
        fa.get("statistics", {}), fb.get("statistics", {}), touched
    ) + _rule_statements(fa.get("rules", {}), fb.get("rules", {}), touched, b.relations)
