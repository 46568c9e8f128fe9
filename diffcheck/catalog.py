"""diffcheck's own catalog queries, run in the same read-only transaction as schemainspect.

schemainspect does not know which indexes, constraints and triggers a partition inherits from
its parent; migra then creates or drops them on the partition by itself, which fails (the
parent already cascades them). These queries name the inherited objects so the engine can
leave them to PostgreSQL.

They also read what schemainspect only reads for views: the dependency graph (pg_depend) of
every user object, and partitioning facts (keys, bounds, index attachment). The fixups use
them to order statements (an object is created before its users and dropped after them) and
to handle partitioned tables. They are stored on the inspector as ``diffcheck_catalog``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg2.extensions import cursor as Cursor


def _q(schema: str, name: str) -> str:
    return '"{}"."{}"'.format(schema.replace('"', '""'), name.replace('"', '""'))


@dataclass
class Inherited:
    """Keys (schemainspect's quoted names) of objects that partitions inherit."""

    indexes: set[str] = field(default_factory=set)
    constraints: set[str] = field(default_factory=set)
    triggers: set[tuple[str, str, str]] = field(default_factory=set)  # (schema, table, name)
    index_parents: dict[str, str] = field(default_factory=dict)  # child index -> parent index


_INHERITED_INDEXES = """
select n.nspname as schema, c.relname as name, pn.nspname as pschema, p.relname as pname
from pg_inherits i
join pg_class c on c.oid = i.inhrelid and c.relkind in ('i', 'I')
join pg_namespace n on n.oid = c.relnamespace
join pg_class p on p.oid = i.inhparent
join pg_namespace pn on pn.oid = p.relnamespace
"""

# Constraints cloned from a partitioned parent (conparentid) and CHECKs inherited by
# partitions (not locally defined). Key format matches schemainspect: schema.name.
_INHERITED_CONSTRAINTS = """
select n.nspname, con.conname, t.relname
from pg_constraint con
join pg_class t on t.oid = con.conrelid
join pg_namespace n on n.oid = t.relnamespace
where t.relispartition
  and (con.conparentid <> 0 or (con.contype = 'c' and not con.conislocal))
"""

_INHERITED_TRIGGERS = """
select n.nspname, c.relname, tg.tgname
from pg_trigger tg
join pg_class c on c.oid = tg.tgrelid
join pg_namespace n on n.oid = c.relnamespace
where tg.tgparentid <> 0
"""


def inherited(cur: Cursor) -> Inherited:
    """Objects partitions inherit from their parents."""
    out = Inherited()
    cur.execute(_INHERITED_INDEXES)
    for schema, name, pschema, pname in cur.fetchall():
        key = _q(schema, name)
        out.indexes.add(key)
        out.index_parents[key] = _q(pschema, pname)
    cur.execute(_INHERITED_CONSTRAINTS)
    for schema, name, table in cur.fetchall():
        out.constraints.add(_constraint_key(schema, table, name))
    cur.execute(_INHERITED_TRIGGERS)
    for schema, table, name in cur.fetchall():
        out.triggers.add((schema, table, name))
    return out


def _constraint_key(schema: str, table: str, name: str) -> str:
    # schemainspect keys constraints by "schema"."name" only... unless names collide; it uses
    # quoted_full_name which is schema-qualified constraint name. Keep both forms reachable.
    return _q(schema, name) + "@" + table


def drop_inherited(inspector: Any, inh: Inherited) -> None:
    """Remove inherited partition objects from a schemainspect inspector, in place."""
    inspector.indexes = type(inspector.indexes)(
        (k, v) for k, v in inspector.indexes.items() if k not in inh.indexes
    )
    inspector.constraints = type(inspector.constraints)(
        (k, v)
        for k, v in inspector.constraints.items()
        if _q(v.schema, v.name) + "@" + v.table_name not in inh.constraints
    )
    inspector.triggers = type(inspector.triggers)(
        (k, v)
        for k, v in inspector.triggers.items()
        if (v.schema, v.table_name, v.name) not in inh.triggers
    )
    for rel in inspector.relations.values():
        if hasattr(rel, "indexes"):
            rel.indexes = type(rel.indexes)(
                (k, v) for k, v in rel.indexes.items() if k not in inh.indexes
            )
        if hasattr(rel, "constraints"):
            rel.constraints = type(rel.constraints)(
                (k, v)
                for k, v in rel.constraints.items()
                if _q(v.schema, v.name) + "@" + v.table_name not in inh.constraints
            )
