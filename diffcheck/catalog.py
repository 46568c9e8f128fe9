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

import json
from dataclasses import dataclass, field
from typing import Any

from psycopg2.extensions import cursor as Cursor

from .pg import without_nested_loops


def _q(schema: str, name: str) -> str:
    return '"{}"."{}"'.format(schema.replace('"', '""'), name.replace('"', '""'))


@dataclass
class Inherited:
    """Keys (schemainspect's quoted names) of objects that partitions inherit."""

    indexes: set[str] = field(default_factory=set)
    constraints: set[str] = field(default_factory=set)
    triggers: set[tuple[str, str, str]] = field(default_factory=set)  # (schema, table, name)
    index_parents: dict[str, str] = field(default_factory=dict)  # child index -> parent index
    # Read in the same pass and handed to the inspector by drop_inherited: the engine calls
    # inherited() + drop_inherited() on every inspection, so this needs no change there.
    catalog: Catalog | None = None


_INHERITED_INDEXES = """
select n.nspname as schema, c.relname as name, pn.nspname as pschema, p.relname as pname
from pg_inherits i
join pg_class c on c.oid = i.inhrelid and c.relkind in ('i', 'I')
join pg_namespace n on n.oid = c.relnamespace
join pg_class p on p.oid = i.inhparent
join pg_namespace pn on pn.oid = p.relnamespace
"""

# Constraints cloned from a parent constraint (conparentid): on partitions, and also on the
# referencing table of a foreign key that references a partitioned table (one internal clone
# per referenced partition); plus CHECKs inherited by partitions (not locally defined).
_INHERITED_CONSTRAINTS = """
select n.nspname, con.conname, t.relname
from pg_constraint con
join pg_class t on t.oid = con.conrelid
join pg_namespace n on n.oid = t.relnamespace
where con.conparentid <> 0
   or (t.relispartition and con.contype = 'c' and not con.conislocal)
"""

_INHERITED_TRIGGERS = """
select n.nspname, c.relname, tg.tgname
from pg_trigger tg
join pg_class c on c.oid = tg.tgrelid
join pg_namespace n on n.oid = c.relnamespace
where tg.tgparentid <> 0
"""


def inherited(cursor: Any) -> Inherited:
    """Objects partitions inherit from their parents."""
    # Rows are unpacked by position: a plain cursor's tuples cost a fraction of the named
    # tuples a NamedTupleCursor builds (170,000 rows at 5,000 tables).
    with cursor.connection.cursor(cursor_factory=Cursor) as cur:
        return _inherited(cur)


def _inherited(cur: Cursor) -> Inherited:
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
    out.catalog = read_catalog(cur)
    return out


def _constraint_key(schema: str, table: str, name: str) -> str:
    # schemainspect keys constraints by "schema"."name" only... unless names collide; it uses
    # quoted_full_name which is schema-qualified constraint name. Keep both forms reachable.
    return _q(schema, name) + "@" + table


def drop_inherited(inspector: Any, inh: Inherited) -> None:
    """Remove inherited partition objects from a schemainspect inspector, in place, and
    attach the catalog facts read with them as ``inspector.diffcheck_catalog``."""
    inspector.diffcheck_catalog = inh.catalog if inh.catalog is not None else Catalog()
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


# -- dependency graph and partitioning facts ---------------------------------------------------

# An object key: (kind, schema, table, name). kind is one of rel, column, type, function,
# operator, collation, schema and extension (schema None; an extension's members are its
# parts), constraint, default, trigger, policy. ``table`` is set for objects that live on a
# table (column, constraint, default, trigger, policy) and None otherwise. Indexes, views and
# sequences are "rel"s (their names share pg_class's namespace); a view's rewrite rule and a
# domain's constraints stand for the view and the domain; an array type for its element type.
Key = tuple[str, str | None, str | None, str]

# One branch per catalog over ``keys`` (c, o, s) = (classid, objid, objsubid), the objects
# to describe; each branch keeps the keys of its catalog and joins them by oid.
_DESCRIBE = """
select k.c, k.o, k.s,
       case when c.relkind = 'c' then 'type' when k.s = 0 then 'rel' else 'column' end
         as kind,
       n.nspname::text as sch,
       case when k.s <> 0 and c.relkind <> 'c' then c.relname::text end as tbl,
       case when k.s <> 0 and c.relkind <> 'c' then a.attname else c.relname end::text as nm
from keys k join pg_class c on c.oid = k.o
join pg_namespace n on n.oid = c.relnamespace
left join pg_attribute a on k.s <> 0 and a.attrelid = c.oid and a.attnum = k.s::int2
where k.c = 'pg_class'::regclass
union all
select k.c, k.o, k.s,
       case when t.typrelid <> 0 and r.relkind <> 'c' then 'rel' else 'type' end,
       n.nspname, null, coalesce(r.relname, t.typname)
from keys k join pg_type t0 on t0.oid = k.o
join pg_type t on t.oid = case when t0.typcategory = 'A' and t0.typelem <> 0
                               then t0.typelem else t0.oid end
join pg_namespace n on n.oid = t.typnamespace
left join pg_class r on r.oid = t.typrelid
where k.c = 'pg_type'::regclass
union all
select k.c, k.o, k.s, 'function', n.nspname, null, p.proname
from keys k join pg_proc p on p.oid = k.o
join pg_namespace n on n.oid = p.pronamespace
where k.c = 'pg_proc'::regclass
union all
select k.c, k.o, k.s, case when con.contypid <> 0 then 'type' else 'constraint' end,
       n.nspname, case when con.contypid <> 0 then null else c.relname end,
       coalesce(t.typname, con.conname)
from keys k join pg_constraint con on con.oid = k.o
join pg_namespace n on n.oid = con.connamespace
left join pg_class c on c.oid = con.conrelid
left join pg_type t on t.oid = con.contypid
where k.c = 'pg_constraint'::regclass
union all
select k.c, k.o, k.s, 'default', n.nspname, c.relname, a.attname
from keys k join pg_attrdef ad on ad.oid = k.o
join pg_class c on c.oid = ad.adrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = ad.adrelid and a.attnum = ad.adnum
where k.c = 'pg_attrdef'::regclass
union all
select k.c, k.o, k.s, 'trigger', n.nspname, c.relname, tg.tgname
from keys k join pg_trigger tg on tg.oid = k.o
join pg_class c on c.oid = tg.tgrelid
join pg_namespace n on n.oid = c.relnamespace
where k.c = 'pg_trigger'::regclass
union all
select k.c, k.o, k.s, 'policy', n.nspname, c.relname, pol.polname
from keys k join pg_policy pol on pol.oid = k.o
join pg_class c on c.oid = pol.polrelid
join pg_namespace n on n.oid = c.relnamespace
where k.c = 'pg_policy'::regclass
union all
select k.c, k.o, k.s, 'collation', n.nspname, null, co.collname
from keys k join pg_collation co on co.oid = k.o
join pg_namespace n on n.oid = co.collnamespace
where k.c = 'pg_collation'::regclass
union all
select k.c, k.o, k.s, 'schema', null, null, sn.nspname
from keys k join pg_namespace sn on sn.oid = k.o
where k.c = 'pg_namespace'::regclass
union all
select k.c, k.o, k.s, 'extension', null, null, e.extname
from keys k join pg_extension e on e.oid = k.o
where k.c = 'pg_extension'::regclass
union all
select k.c, k.o, k.s, 'operator', n.nspname, null, o.oprname
from keys k join pg_operator o on o.oid = k.o
join pg_namespace n on n.oid = o.oprnamespace
where k.c = 'pg_operator'::regclass
union all
select k.c, k.o, k.s, 'rel', n.nspname, null, c.relname
from keys k join pg_rewrite rw on rw.oid = k.o
join pg_class c on c.oid = rw.ev_class
join pg_namespace n on n.oid = c.relnamespace
where k.c = 'pg_rewrite'::regclass
"""

# User objects only (oids below FirstNormalObjectId are built in); internal ('i')
# dependencies are kept because a view's rule and a domain's constraint reach their owner
# through them, and auto ('a') ones because dropping the referenced object drops them too.
_DEPEND_ROWS = """
select classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype
from pg_depend
where objid >= 16384 and refobjid >= 16384 and deptype in ('n', 'a', 'i', 'e')
"""

# Every object those rows name, described once. The two sides are joined in Python: as
# SQL, the planner misjudged the CTEs' sizes and nested-looped them (3 s on lago), and a
# lateral lookup per row cost 1.5 s at 5,000 tables.
_DESCRIBED = f"""
with d as materialized ({_DEPEND_ROWS}),
keys as materialized (
  select classid as c, objid as o, objsubid as s from d
  union
  select refclassid, refobjid, refobjsubid from d
)
{_DESCRIBE}
"""

_RELKINDS = """
select n.nspname, c.relname, c.relkind::text as relkind
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'
"""

_OBJECTS = """
select 'function' as kind, n.nspname, p.proname as name from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
where p.oid >= 16384
union all
select 'type', n.nspname, t.typname from pg_type t
join pg_namespace n on n.oid = t.typnamespace
left join pg_class c on c.oid = t.typrelid
where t.oid >= 16384 and t.typcategory <> 'A' and (c.oid is null or c.relkind = 'c')
"""

# Partitioned tables: key, and for partitions the parent and bound.
_PARTITIONS = """
select n.nspname, c.relname, c.relkind::text as relkind,
       case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as key,
       case when c.relispartition then pg_get_expr(c.relpartbound, c.oid, true) end as bound,
       pn.nspname as pschema, p.relname as pname
from pg_class c join pg_namespace n on n.oid = c.relnamespace
left join pg_inherits i on i.inhrelid = c.oid and c.relispartition
left join pg_class p on p.oid = i.inhparent
left join pg_namespace pn on pn.oid = p.relnamespace
where c.relkind in ('r', 'p', 'f') and (c.relkind = 'p' or c.relispartition)
"""

# Indexes of partitioned tables and partitions: validity (an ON ONLY index stays invalid
# until every partition has an attached index) and the parent index, if attached.
_PART_INDEXES = """
select n.nspname, ic.relname, tc.relname as tname, x.indisvalid, pn.nspname as pschema,
       pc.relname as pname
from pg_index x
join pg_class ic on ic.oid = x.indexrelid
join pg_class tc on tc.oid = x.indrelid
join pg_namespace n on n.oid = ic.relnamespace
left join pg_inherits i on i.inhrelid = ic.oid
left join pg_class pc on pc.oid = i.inhparent
left join pg_namespace pn on pn.oid = pc.relnamespace
where tc.relkind = 'p' or tc.relispartition
"""


# Aggregates, which schemainspect leaves out (pg_get_functiondef cannot describe them), as the
# pieces of a CREATE AGGREGATE. Functions are schema-qualified so the statement does not
# depend on the search_path it runs with. Moving-aggregate support functions and ordered-set
# aggregates are flagged so the fixup can refuse rather than half-create them.
_AGGREGATES = """
select n.nspname as schema, p.proname as name,
       pg_get_function_identity_arguments(p.oid) as args,
       format('%I.%I', tn.nspname, tf.proname) as sfunc,
       format_type(a.aggtranstype, null) as stype,
       case when a.aggfinalfn <> 0 then format('%I.%I', fn.nspname, ff.proname) end
         as finalfunc,
       case when a.aggcombinefn <> 0 then format('%I.%I', cn.nspname, cf.proname) end
         as combinefunc,
       a.agginitval as initcond,
       case when a.aggsortop <> 0 then a.aggsortop::regoperator::text end as sortop,
       a.aggfinalextra as finalextra,
       p.proparallel as parallel,
       a.aggkind <> 'n' or a.aggmtransfn <> 0 or a.aggserialfn <> 0 as unsupported
from pg_aggregate a
join pg_proc p on p.oid = a.aggfnoid
join pg_namespace n on n.oid = p.pronamespace
join pg_proc tf on tf.oid = a.aggtransfn
join pg_namespace tn on tn.oid = tf.pronamespace
left join pg_proc ff on ff.oid = a.aggfinalfn
left join pg_namespace fn on fn.oid = ff.pronamespace
left join pg_proc cf on cf.oid = a.aggcombinefn
left join pg_namespace cn on cn.oid = cf.pronamespace
where p.oid >= 16384
  and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass
                  and d.objid = p.oid and d.deptype = 'e')
"""


@dataclass
class Aggregate:
    """A user-defined aggregate."""

    schema: str
    name: str
    args: str  # identity arguments, e.g. "text"
    sfunc: str
    stype: str
    finalfunc: str | None
    combinefunc: str | None
    initcond: str | None
    sortop: str | None
    finalextra: bool
    parallel: str
    unsupported: bool

    @property
    def signature(self) -> str:
        return f"{_q(self.schema, self.name)}({self.args})"


# Text search configurations and dictionaries (schemainspect reads neither). A configuration's
# mappings are listed token by token, dictionaries in the order they are consulted.
_TS_CONFIGS = """
select n.nspname as schema, c.cfgname as name,
       format('%I.%I', pn.nspname, p.prsname) as parser,
       coalesce((select jsonb_object_agg(t.alias, m.dicts)
                 from ts_token_type(c.cfgparser) t
                 join (select maptokentype,
                              string_agg(format('%I.%I', dn.nspname, d.dictname), ', '
                                         order by mapseqno) as dicts
                       from pg_ts_config_map
                       join pg_ts_dict d on d.oid = mapdict
                       join pg_namespace dn on dn.oid = d.dictnamespace
                       where mapcfg = c.oid group by maptokentype) m
                   on m.maptokentype = t.tokid), '{}')::text as mapping
from pg_ts_config c
join pg_namespace n on n.oid = c.cfgnamespace
join pg_ts_parser p on p.oid = c.cfgparser
join pg_namespace pn on pn.oid = p.prsnamespace
where c.oid >= 16384
  and not exists (select 1 from pg_depend e where e.classid = 'pg_ts_config'::regclass
                  and e.objid = c.oid and e.deptype = 'e')
"""

_TS_DICTS = """
select n.nspname as schema, d.dictname as name,
       format('%I.%I', tn.nspname, t.tmplname) as template, d.dictinitoption as options
from pg_ts_dict d
join pg_namespace n on n.oid = d.dictnamespace
join pg_ts_template t on t.oid = d.dicttemplate
join pg_namespace tn on tn.oid = t.tmplnamespace
where d.oid >= 16384
  and not exists (select 1 from pg_depend e where e.classid = 'pg_ts_dict'::regclass
                  and e.objid = d.oid and e.deptype = 'e')
"""


# Functions in C (or internal), which schemainspect skips: a user's C function (such as a
# wrapper over an extension's symbol) is then never created. Definitions are
# pg_get_functiondef's, which creates them as they are.
_EXTERNAL_FUNCTIONS = """
select format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
         as signature,
       case p.prokind when 'p' then 'procedure' else 'function' end as kind,
       pg_get_functiondef(p.oid) as definition
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_language l on l.oid = p.prolang
where p.oid >= 16384 and l.lanname in ('c', 'internal') and p.prokind in ('f', 'p')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and not exists (select 1 from pg_depend e where e.classid = 'pg_proc'::regclass
                  and e.objid = p.oid and e.deptype = 'e')
"""


class _Named:
    """A schema object named by ``schema`` and ``name``."""

    schema: str
    name: str

    @property
    def quoted(self) -> str:
        """``"schema"."name"``."""
        return _q(self.schema, self.name)


@dataclass(frozen=True)
class TextSearchConfig(_Named):
    """A text search configuration: its parser and token -> dictionaries mapping."""

    schema: str
    name: str
    parser: str
    mapping: str  # JSON object token -> "dict1, dict2" (jsonb text: keys sorted)

    def tokens(self) -> dict[str, str]:
        """token -> dictionaries, comma-separated in the order they are consulted."""
        return dict(json.loads(self.mapping))


@dataclass(frozen=True)
class TextSearchDict(_Named):
    """A text search dictionary: template and options."""

    schema: str
    name: str
    template: str
    options: str | None


@dataclass
class Partitioning(_Named):
    """A partitioned table or a partition, as PostgreSQL describes it."""

    schema: str
    name: str
    relkind: str
    key: str | None  # "RANGE (logdate)" for partitioned tables
    bound: str | None  # "FOR VALUES FROM (...) TO (...)" for partitions
    parent: str | None  # quoted "schema"."name" of the parent partitioned table


@dataclass
class PartIndex(_Named):
    """An index on a partitioned table or a partition."""

    schema: str
    name: str
    table: str
    valid: bool
    parent: str | None  # quoted parent index, when attached
    definition: str


@dataclass
class Catalog:
    """Catalog facts schemainspect does not collect (see the module docstring)."""

    # (dependent, referenced, deptype) for user objects
    depends: list[tuple[Key, Key, str]] = field(default_factory=list)
    relkinds: dict[tuple[str, str], str] = field(default_factory=dict)  # (schema, name)
    objects: set[Key] = field(default_factory=set)  # functions, types and rels by name
    partitioning: dict[str, Partitioning] = field(default_factory=dict)  # quoted name
    part_indexes: dict[str, PartIndex] = field(default_factory=dict)  # quoted index name
    aggregates: dict[str, Aggregate] = field(default_factory=dict)  # by signature
    ts_configs: dict[str, TextSearchConfig] = field(default_factory=dict)  # quoted name
    ts_dicts: dict[str, TextSearchDict] = field(default_factory=dict)  # quoted name
    # signature -> (function | procedure, CREATE statement) for C and internal functions
    external_functions: dict[str, tuple[str, str]] = field(default_factory=dict)

    def dependents_index(self) -> dict[Key, set[Key]]:
        """Referenced object -> objects that depend on it directly (built once). Internal
        dependencies are left out: such a dependent (a constraint's index) cannot be dropped
        on its own, it goes with its owner."""
        index: dict[Key, set[Key]] | None = self.__dict__.get("_dependents")
        if index is None:
            index = {}
            for dep, ref, deptype in self.depends:
                if deptype != "i":
                    index.setdefault(ref, set()).add(dep)
            self.__dict__["_dependents"] = index
        return index

    def parts_index(self) -> dict[Key, set[Key]]:
        """Owner -> objects that depend on it internally (its parts, such as the index of
        a PRIMARY KEY constraint), built once."""
        index: dict[Key, set[Key]] | None = self.__dict__.get("_parts")
        if index is None:
            index = {}
            for dep, ref, deptype in self.depends:
                if deptype == "i":
                    index.setdefault(ref, set()).add(dep)
            self.__dict__["_parts"] = index
        return index

    def dependents(self, key: Key) -> set[Key]:
        """Objects that depend directly on ``key``."""
        return set(self.dependents_index().get(key, ()))


def _fetch(cur: Cursor, query: str) -> list[Any]:
    cur.execute(query)
    return cur.fetchall()


def read_catalog(cur: Cursor) -> Catalog:
    """Read the dependency graph and partitioning facts (read-only)."""
    out = Catalog()
    # Joins over every user object: hash joins, whatever the planner guesses of the CTEs.
    described_rows = without_nested_loops(cur, lambda: _fetch(cur, _DESCRIBED))
    described: dict[tuple[int, int, int], Key] = {
        (c, o, s): (kind, sch, tbl, nm) for c, o, s, kind, sch, tbl, nm in described_rows
    }
    cur.execute(_DEPEND_ROWS)
    for classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype in cur.fetchall():
        dep = described.get((classid, objid, objsubid))
        ref = described.get((refclassid, refobjid, refobjsubid))
        if dep is None or ref is None:
            continue  # a catalog diffcheck does not describe (operator classes, ...)
        if deptype == "e":
            # An extension's members are its parts, like a constraint's index: whatever
            # depends on a member (a column of type cube) must go before DROP EXTENSION.
            deptype = "i"
        # TOAST tables are PostgreSQL's business, never a statement's.
        if dep != ref and "pg_toast" not in (dep[1], ref[1]):
            out.depends.append((dep, ref, deptype))
    cur.execute(_RELKINDS)
    for schema, name, relkind in cur.fetchall():
        out.relkinds[(schema, name)] = relkind
        out.objects.add(("rel", schema, None, name))
    cur.execute(_OBJECTS)
    for kind, schema, name in cur.fetchall():
        out.objects.add((kind, schema, None, name))
    cur.execute(_PARTITIONS)
    for schema, name, relkind, key, bound, pschema, pname in cur.fetchall():
        parent = _q(pschema, pname) if pname else None
        p = Partitioning(schema, name, relkind, key, bound, parent)
        out.partitioning[p.quoted] = p
    cur.execute(_PART_INDEXES)
    for schema, name, table, valid, pschema, pname in cur.fetchall():
        parent = _q(pschema, pname) if pname else None
        # The definition comes from schemainspect's (bs_indexes.fill_definitions).
        ix = PartIndex(schema, name, table, bool(valid), parent, "")
        out.part_indexes[ix.quoted] = ix
    cur.execute(_AGGREGATES)
    for row in cur.fetchall():
        agg = Aggregate(*row)
        out.aggregates[agg.signature] = agg
    cur.execute(_TS_CONFIGS)
    for row in cur.fetchall():
        cfg = TextSearchConfig(*row)
        out.ts_configs[cfg.quoted] = cfg
    cur.execute(_TS_DICTS)
    for row in cur.fetchall():
        dct = TextSearchDict(*row)
        out.ts_dicts[dct.quoted] = dct
    cur.execute(_EXTERNAL_FUNCTIONS)
    for signature, kind, definition in cur.fetchall():
        out.external_functions[signature] = (kind, definition)
    return out
