"""Relation and column properties migra does not compare.

Relations: storage parameters (reloptions, including the TOAST table's as ``toast.*``) of
tables, materialized views and views; REPLICA IDENTITY; FORCE ROW LEVEL SECURITY (migra only
compares ENABLE); CLUSTER ON; the table access method. Columns: STORAGE, STATISTICS,
COMPRESSION and attribute options (n_distinct). Column collations are compared by migra by
collation name only, so a schema-qualified collation that differs only in its schema is
caught here too."""

from __future__ import annotations

from typing import Any, NamedTuple

from .bs_common import (
    Touched,
    differs,
    keeps,
    not_extension,
    option_clauses,
    options,
    qname,
    quote_ident,
    rows,
    server_version,
    user_schema,
)

KEYWORD = {"r": "table", "p": "table", "m": "materialized view", "v": "view"}


class Relation(NamedTuple):
    """Relation-level facts of one table, partitioned table, materialized view or view."""

    kind: str
    options: dict[str, str]
    replica_identity: str  # d, f, n, or i
    replica_index: str | None
    force_rls: bool
    cluster_index: str | None
    access_method: str | None


class Column(NamedTuple):
    """Column-level facts; ``default_storage`` is the column type's own storage."""

    storage: str
    default_storage: str
    statistics: int
    compression: str
    options: dict[str, str]
    collation: str | None  # "schema"."name" when not the type's default collation
    type: str


_RELATIONS = f"""
select n.nspname as schema, c.relname as name, c.relkind as kind, c.reloptions as options,
    t.reloptions as toast_options, c.relreplident as replident, ri.relname as replica_index,
    c.relforcerowsecurity as force_rls, ci.relname as cluster_index, am.amname as amname
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
left join pg_catalog.pg_class t on t.oid = c.reltoastrelid
left join pg_catalog.pg_index rx on rx.indrelid = c.oid and rx.indisreplident
left join pg_catalog.pg_class ri on ri.oid = rx.indexrelid
left join pg_catalog.pg_index cx on cx.indrelid = c.oid and cx.indisclustered
left join pg_catalog.pg_class ci on ci.oid = cx.indexrelid
left join pg_catalog.pg_am am on am.oid = c.relam
where c.relkind in ('r', 'p', 'm', 'v') and {user_schema()}
  and {not_extension("pg_class", "c.oid")}
"""

_COLUMNS = """
select n.nspname as schema, c.relname as table_name, a.attname as column_name,
    a.attstorage as storage, ty.typstorage as default_storage,
    coalesce(a.attstattarget, -1) as statistics,
    {compression} as compression, a.attoptions as options,
    case when a.attcollation <> ty.typcollation
         then quote_ident(cn.nspname) || '.' || quote_ident(co.collname) end as collation,
    format_type(a.atttypid, a.atttypmod) as type
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_type ty on ty.oid = a.atttypid
left join pg_catalog.pg_collation co on co.oid = a.attcollation
left join pg_catalog.pg_namespace cn on cn.oid = co.collnamespace
where c.relkind in ('r', 'p', 'm') and a.attnum > 0 and not a.attisdropped
  and {user} and {not_extension}
"""


def read(cur: Any, filters: Any) -> dict[str, Any]:
    """Relation and column facts."""
    relations = {}
    for r in rows(cur, _RELATIONS):
        if not keeps(filters, r.schema, r.name):
            continue
        opts = options(r.options)
        opts.update({"toast." + k: v for k, v in options(r.toast_options).items()})
        relations[(r.schema, r.name)] = Relation(
            r.kind, opts, r.replident, r.replica_index, r.force_rls, r.cluster_index, r.amname
        )
    # attcompression exists from PostgreSQL 14 on.
    query = _COLUMNS.format(
        compression="a.attcompression" if server_version(cur) >= 140000 else "''::\"char\"",
        user=user_schema(),
        not_extension=not_extension("pg_class", "c.oid"),
    )
    columns = {
        (r.schema, r.table_name, r.column_name): Column(
            r.storage,
            r.default_storage,
            r.statistics,
            r.compression,
            options(r.options),
            r.collation,
            r.type,
        )
        for r in rows(cur, query)
        if keeps(filters, r.schema, r.table_name)
    }
    return {"relations": relations, "columns": columns}


def _replica(kind: str, index: str | None) -> str:
    if kind == "i" and index:
        return f"using index {quote_ident(index)}"
    return {"d": "default", "f": "full", "n": "nothing"}.get(kind, "default")


def _relation_statements(
    schema: str, name: str, ra: Relation | None, rb: Relation, touched: Touched
) -> list[str]:
    out = []
    target = qname(schema, name)
    keyword = KEYWORD[rb.kind]
    fresh = ra is None or ra.kind != rb.kind or touched.relation(schema, name)
    a_opts = {} if fresh or ra is None else ra.options
    sets, resets = option_clauses(a_opts, rb.options)
    if resets:
        out.append(f"alter {keyword} {target} reset ({resets});")
    if sets:
        out.append(f"alter {keyword} {target} set ({sets});")
    if rb.kind == "v":
        return out
    if rb.kind in ("r", "p"):
        a_rep = ("d", None) if fresh or ra is None else (ra.replica_identity, ra.replica_index)
        b_rep = (rb.replica_identity, rb.replica_index)
        # A re-created replica identity index is no longer marked: set it again.
        rep_touched = fresh or any(
            i is not None and touched.index(schema, i) for i in (a_rep[1], b_rep[1])
        )
        if differs(a_rep, b_rep, rep_touched, ("d", None)):
            out.append(f"alter table {target} replica identity {_replica(*b_rep)};")
        a_force = False if fresh or ra is None else ra.force_rls
        if a_force != rb.force_rls:
            keyword_force = "force" if rb.force_rls else "no force"
            out.append(f"alter table {target} {keyword_force} row level security;")
    a_cluster = None if fresh or ra is None else ra.cluster_index
    cluster_touched = fresh or any(
        i is not None and touched.index(schema, i) for i in (a_cluster, rb.cluster_index)
    )
    if differs(a_cluster, rb.cluster_index, cluster_touched, None):
        clause = (
            f"cluster on {quote_ident(rb.cluster_index)}"
            if rb.cluster_index
            else "set without cluster"
        )
        out.append(f"alter {keyword} {target} {clause};")
    # A new relation gets default_table_access_method, normally heap.
    am_a = "heap" if fresh or ra is None else ra.access_method
    if rb.access_method and am_a != rb.access_method:
        out.append(f"alter {keyword} {target} set access method {quote_ident(rb.access_method)};")
    return out


def _column_statements(
    key: tuple[str, str, str], ca: Column | None, cb: Column, kind: str, touched: Touched
) -> list[str]:
    schema, table, column = key
    # ONLY: a partitioned parent's settings must not overwrite its partitions' own.
    keyword = "materialized view" if kind == "m" else "table only"
    prefix = f"alter {keyword} {qname(schema, table)} alter column {quote_ident(column)}"
    fresh = ca is None or touched.column(schema, table, column)
    retyped = ca is not None and ca.type != cb.type
    out = []
    storage_a = cb.default_storage if fresh or ca is None or retyped else ca.storage
    if storage_a != cb.storage:
        word = {"p": "plain", "e": "external", "m": "main", "x": "extended"}[cb.storage]
        out.append(f"{prefix} set storage {word};")
    stats_a = -1 if fresh or ca is None else ca.statistics
    if stats_a != cb.statistics:
        out.append(f"{prefix} set statistics {cb.statistics};")
    comp_a = "" if fresh or ca is None else ca.compression
    if comp_a != cb.compression:
        word = {"p": "pglz", "l": "lz4"}.get(cb.compression, "default")
        out.append(f"{prefix} set compression {word};")
    opts_a = {} if fresh or ca is None else ca.options
    sets, resets = option_clauses(opts_a, cb.options)
    if resets:
        out.append(f"{prefix} reset ({resets});")
    if sets:
        out.append(f"{prefix} set ({sets});")
    if (
        ca is not None
        and not (fresh or retyped or kind == "m")
        and ca.collation != cb.collation
        and _migra_collation(touched.a, key) == _migra_collation(touched.b, key)
    ):
        # migra compares collation names without their schema, and then says nothing; a
        # same-named collation in another schema is a difference only this fact shows.
        collate = f" collate {cb.collation}" if cb.collation else ""
        out.append(
            f"alter table {qname(schema, table)} alter column {quote_ident(column)} "
            f"type {cb.type}{collate};"
        )
    return out


def _migra_collation(inspector: Any, key: tuple[str, str, str]) -> Any:
    table = inspector.tables.get(qname(key[0], key[1]))
    col = None if table is None else table.columns.get(key[2])
    return None if col is None else col.collation


def statements(a: Any, b: Any, touched: Touched) -> list[str]:
    """ALTER statements for relation and column properties."""
    fa, fb = a.diffcheck_facts, b.diffcheck_facts
    ra_all: dict[Any, Relation] = fa.get("relations", {})
    rb_all: dict[Any, Relation] = fb.get("relations", {})
    out = []
    for (schema, name), rb in sorted(rb_all.items()):
        out += _relation_statements(schema, name, ra_all.get((schema, name)), rb, touched)
    ca_all: dict[Any, Column] = fa.get("columns", {})
    for key, cb in sorted(fb.get("columns", {}).items()):
        rel = rb_all.get(key[:2])
        if rel is None:
            continue
        ca = ca_all.get(key)
        rel_a = ra_all.get(key[:2])
        if rel_a is not None and rel_a.kind != rel.kind:
            ca = None
        out += _column_statements(key, ca, cb, rel.kind, touched)
    return out
