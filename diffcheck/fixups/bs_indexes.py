"""Index facts migra does not compare: storage parameters, validity, partition attachment.

schemainspect's index equality ignores the definition text, so ``WITH (fillfactor=...)`` is
invisible, and it never reads ``indisvalid``. diffcheck hides the indexes a partition
inherits from its parent (catalog.py), so which partition index is attached to which
partitioned index (pg_inherits between indexes) is compared here, by names: keyed by
(parent index, partition), the value is the partition's attached index."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from pglast import ast, parse_sql
from pglast.stream import RawStream

from .bs_common import (
    Touched,
    keeps,
    not_extension,
    option_clauses,
    options,
    qname,
    quote_ident,
    rows,
    user_schema,
)
from .common import refusal


class Index(NamedTuple):
    """One index: its table, relkind (i, or I for partitioned), validity and options."""

    table_schema: str
    table: str
    kind: str
    valid: bool
    options: dict[str, str]
    definition: str
    # Per-column statistics targets set with ALTER INDEX ... ALTER COLUMN n SET STATISTICS
    # (expression columns only): {column number: target}.
    stats: dict[int, int]


_INDEXES = f"""
select n.nspname as schema, i.relname as name, tn.nspname as table_schema,
    t.relname as table_name, i.relkind as kind, x.indisvalid as valid,
    i.reloptions as options,
    array(select a.attnum::int || '=' || a.attstattarget::int from pg_catalog.pg_attribute a
          where a.attrelid = i.oid and a.attnum > 0 and coalesce(a.attstattarget, -1) >= 0
          order by a.attnum) as stats
from pg_catalog.pg_index x
join pg_catalog.pg_class i on i.oid = x.indexrelid
join pg_catalog.pg_namespace n on n.oid = i.relnamespace
join pg_catalog.pg_class t on t.oid = x.indrelid
join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
where t.relkind in ('r', 'p', 'm') and {user_schema()}
  and {not_extension("pg_class", "t.oid")} and {not_extension("pg_class", "i.oid")}
"""

_ATTACHMENTS = f"""
select pn.nspname as parent_schema, p.relname as parent_name, tn.nspname as table_schema,
    t.relname as table_name, n.nspname as schema, c.relname as name
from pg_catalog.pg_inherits h
join pg_catalog.pg_class c on c.oid = h.inhrelid and c.relkind in ('i', 'I')
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_class p on p.oid = h.inhparent
join pg_catalog.pg_namespace pn on pn.oid = p.relnamespace
join pg_catalog.pg_index x on x.indexrelid = c.oid
join pg_catalog.pg_class t on t.oid = x.indrelid
join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
where {user_schema()} and {not_extension("pg_class", "t.oid")}
"""


def read(cur: Any, filters: Any) -> dict[str, Any]:
    """Index facts and partition index attachments."""
    indexes = {
        (r.schema, r.name): Index(
            r.table_schema,
            r.table_name,
            r.kind,
            r.valid,
            options(r.options),
            "",  # filled in by fill_definitions
            {int(k): int(v) for k, v in options(r.stats).items()},
        )
        for r in rows(cur, _INDEXES)
        if keeps(filters, r.schema, r.name, r.table_name)
    }
    attachments = {
        (r.parent_schema, r.parent_name, r.table_schema, r.table_name): (r.schema, r.name)
        for r in rows(cur, _ATTACHMENTS)
        if keeps(filters, r.parent_schema, r.parent_name)
        and keeps(filters, r.schema, r.name, r.table_name)
    }
    return {"indexes": indexes, "index_attachments": attachments}


# pg_get_indexdef of indexes schemainspect did not describe (its query skips indexes that
# are not live: the moment of a DROP INDEX CONCURRENTLY). Keyed by (schema, name).
_DEFINITIONS = """
select n.nspname as schema, c.relname as name, pg_catalog.pg_get_indexdef(c.oid) as definition
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join unnest(%s::text[], %s::text[]) as k(schema, name)
  on k.schema = n.nspname and k.name = c.relname
where c.relkind in ('i', 'I')
"""


def fill_definitions(
    cur: Any, known: dict[tuple[str, str], str], facts: dict[str, Any], part_indexes: Iterable[Any]
) -> None:
    """Set the definition of every index fact and partition index (``part_indexes``, with
    ``schema``, ``name`` and a ``definition`` to set) from ``known`` (schemainspect's, by
    (schema, name)), reading the few it lacks.

    pg_get_indexdef is the most expensive catalog call of an inspection (~50 us an index,
    0.5 s at 5,000 tables); schemainspect's query has already made it for every index, so
    it is made once instead of three times."""
    parts = list(part_indexes)
    wanted = set(facts["indexes"]) | {(p.schema, p.name) for p in parts}
    missing = sorted(wanted - known.keys())
    if missing:
        cur.execute(_DEFINITIONS, ([k[0] for k in missing], [k[1] for k in missing]))
        known = {**known, **{(r[0], r[1]): r[2] for r in cur.fetchall()}}
    facts["indexes"] = {
        key: ix._replace(definition=known[key]) for key, ix in facts["indexes"].items()
    }
    for part in parts:
        part.definition = known[(part.schema, part.name)]


def create_if_missing(definition: str) -> str:
    """``pg_get_indexdef`` text as CREATE INDEX IF NOT EXISTS (a no-op when already built),
    through pglast's AST."""
    node = parse_sql(definition)[0].stmt
    if not isinstance(node, ast.IndexStmt):
        return definition
    node.if_not_exists = True
    return str(RawStream()(node))


def _stats_statements(target: str, a: dict[int, int], b: dict[int, int]) -> list[str]:
    """SET STATISTICS for index columns whose target differs (-1 restores the default)."""
    return [
        f"alter index {target} alter column {n} set statistics {b.get(n, -1)};"
        for n in sorted(set(a) | set(b))
        if a.get(n, -1) != b.get(n, -1)
    ]


def _index_statements(a: dict[Any, Index], b: dict[Any, Index], touched: Touched) -> list[str]:
    out = []
    for (schema, name), ib in sorted(b.items()):
        ia = a.get((schema, name))
        target = qname(schema, name)
        if ia is None or ia.kind != ib.kind or touched.index(schema, name):
            # Built by migra from pg_get_indexdef, which carries WITH (...) and is valid.
            if ib.kind == "i" and not ib.valid and not (ia is not None and not ia.valid):
                out.append(refusal(f"index {target} is invalid in the desired schema"))
            out += _stats_statements(target, {}, ib.stats)
            continue
        out += _stats_statements(target, ia.stats, ib.stats)
        sets, resets = option_clauses(ia.options, ib.options)
        if sets or resets:
            if ib.kind == "I":
                out.append(
                    refusal(
                        f"storage parameters of partitioned index {target} differ; "
                        "PostgreSQL cannot change them in place"
                    )
                )
            else:
                if resets:
                    out.append(f"alter index {target} reset ({resets});")
                if sets:
                    out.append(f"alter index {target} set ({sets});")
        if ib.kind == "i" and ia.valid != ib.valid:
            if ib.valid:
                # An invalid index (a failed CREATE INDEX CONCURRENTLY) is built again. Not
                # REINDEX: pg_dump skips invalid indexes, so the clone a plan is rehearsed on
                # lacks it, and only drop-if-exists + create works on both.
                out.append(f"drop index if exists {target};")
                out.append(ib.definition.rstrip(";") + ";")
                out += _stats_statements(target, {}, ib.stats)
            else:
                out.append(refusal(f"index {target} is invalid in the desired schema"))
    return out


def _depth(parent: tuple[str, str], child_of: dict[tuple[str, str], tuple[str, str]]) -> int:
    depth, seen = 0, set()
    while parent in child_of and parent not in seen:
        seen.add(parent)
        parent = child_of[parent]
        depth += 1
    return depth


def _dropped_with_parent(
    att_a: dict[Any, tuple[str, str]], touched: Touched
) -> set[tuple[str, str]]:
    """Live's attached indexes that go away because migra re-creates an ancestor index."""
    gone = {key[:2] for key in att_a if touched.index(*key[:2])}
    gone |= {child for key, child in att_a.items() if touched.relation(*key[2:])}
    while True:
        more = {child for key, child in att_a.items() if key[:2] in gone} - gone
        if not more:
            return gone
        gone |= more


def _attachment_statements(
    b: Any, fa: dict[str, Any], fb: dict[str, Any], touched: Touched
) -> tuple[list[str], set[tuple[str, str]]]:
    """Statements for attachments, and the partitioned indexes they complete."""
    att_a: dict[Any, tuple[str, str]] = fa.get("index_attachments", {})
    att_b: dict[Any, tuple[str, str]] = fb.get("index_attachments", {})
    idx_b: dict[Any, Index] = fb.get("indexes", {})
    gone = _dropped_with_parent(att_a, touched)
    renames, creates, attaches, refusals = [], [], [], []
    # Partitioned indexes whose state these statements settle (or refuse to).
    completed: set[tuple[str, str]] = set()
    child_of = {child: key[:2] for key, child in att_b.items()}
    for key in sorted(att_b, key=lambda k: (-_depth(k[:2], child_of), k)):
        ps, pn, _ts, _tn = key
        cs, cn = att_b[key]
        have = att_a.get(key)
        if have is not None and have not in gone:
            if have != (cs, cn):
                renames.append(f"alter index {qname(*have)} rename to {quote_ident(cn)};")
            continue
        child = idx_b.get((cs, cn))
        if child is not None:
            # IF NOT EXISTS: the index may stand unattached in live already.
            creates.append(create_if_missing(child.definition).rstrip(";") + ";")
        attaches.append(f"alter index {qname(ps, pn)} attach partition {qname(cs, cn)};")
        completed.add((ps, pn))
    for key, (cs, cn) in sorted(att_a.items()):
        if key in att_b or (cs, cn) in gone:
            continue
        ps, pn, ts, tn = key
        parent = idx_b.get((ps, pn))
        table_b = b.tables.get(qname(ts, tn))
        if parent is None or table_b is None:
            continue  # the parent index or the partition goes away: nothing to detach
        if table_b.parent_table != qname(parent.table_schema, parent.table):
            continue  # the partition is detached, which detaches its indexes
        completed.add((ps, pn))
        refusals.append(
            refusal(
                f"index {qname(cs, cn)} is attached to partitioned index {qname(ps, pn)} in "
                "live but not in the desired schema; PostgreSQL cannot detach it"
            )
        )
    # Creates first (each builds on its own table only: ON ONLY does not cascade), then
    # attaches from the leaves up, so each partitioned index is complete (and valid) when it
    # is attached to its own parent.
    return renames + creates + attaches + refusals, completed


def _validity_statements(
    fa: dict[str, Any], fb: dict[str, Any], touched: Touched, completed: set[tuple[str, str]]
) -> list[str]:
    out = []
    idx_a: dict[Any, Index] = fa.get("indexes", {})
    for key, ib in sorted(fb.get("indexes", {}).items()):
        ia = idx_a.get(key)
        if ib.kind != "I" or ia is None or ia.kind != "I" or touched.index(*key):
            continue
        if ia.valid != ib.valid and key not in completed:
            state = "valid" if ib.valid else "invalid"
            out.append(
                refusal(
                    f"partitioned index {qname(*key)} is {state} in the desired schema but not "
                    "in live, and no attachment makes it so"
                )
            )
    return out


def statements(a: Any, b: Any, touched: Touched) -> list[str]:
    """Index option, validity and attachment statements."""
    fa, fb = a.diffcheck_facts, b.diffcheck_facts
    out = _index_statements(fa.get("indexes", {}), fb.get("indexes", {}), touched)
    attach, completed = _attachment_statements(b, fa, fb, touched)
    return out + attach + _validity_statements(fa, fb, touched, completed)
