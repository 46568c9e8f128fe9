"""GRANT / REVOKE and ALTER DEFAULT PRIVILEGES, compared by diffcheck instead of migra.

schemainspect reads table-level grants on tables only (its query compares the grantee with
``pg_tables.tableowner``, which is NULL for views), so migra never sees grants on views,
columns, sequences, routines, schemas or types, nor WITH GRANT OPTION or default privileges,
and it pastes role names unquoted. With ``--with-privileges`` the engine turns migra's
privilege handling off and uses this module instead.

Facts are ACLs exploded into (grantee, privilege, grantable) entries, keyed by object names.
A NULL ACL means PostgreSQL's built-in default (``acldefault``), so "never granted" and
"granted the default" compare equal. Entries held by the object's owner are left out: the
scratch database diffcheck builds and live may have different owners, and ownership is not
compared. The grantor is ignored. PUBLIC is the empty grantee name (no role can have it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from ..scratch import BUILDER_SUFFIX, PREFIX
from .bs_common import Touched, keeps, not_extension, qname, quote_ident, rows, user_schema
from .common import refusal

PUBLIC = ""  # grantee 0
Entry = tuple[str, str, bool]  # (grantee, privilege, grantable)
Bound = dict[tuple[str, str], bool]  # (grantee, privilege) -> grantable


class Acl(NamedTuple):
    """One object's privileges (the owner's own entries left out)."""

    target: str  # what GRANT ... ON names: 'table "s"."t"', 'function "s"."f"(integer)', ...
    entries: tuple[Entry, ...]
    defaults: tuple[Entry, ...]  # what the object has when it is created
    objtype: str | None  # its pg_default_acl object type (r, S, f, T, n); None for a column


class DefaultAcl(NamedTuple):
    """One pg_default_acl row: its entries (the role's own included) and, for a global row,
    what the role's defaults are without the row (``acldefault``)."""

    entries: tuple[Entry, ...]
    builtin: tuple[Entry, ...]


_GRANTEE = "case when e.grantee = 0 then '' else pg_catalog.pg_get_userbyid(e.grantee) end"
_REL = f"{user_schema()} and {not_extension('pg_class', 'c.oid')}"

# Every object that has an ACL, with its ACL and its default ACL. Objects without any entry
# still give one row (grantee NULL): an empty ACL is a value, not a missing object.
_ACLS = f"""
select o.kind, o.schema, o.name, o.sub, o.extra, o.args, e.is_default,
    {_GRANTEE} as grantee, e.privilege_type as privilege, e.is_grantable as grantable
from (
  select 'relation' as kind, n.nspname as schema, c.relname as name, null::text as sub,
      c.relkind::text as extra, null::text as args, c.relowner as owner, c.relacl as acl,
      pg_catalog.acldefault(case c.relkind when 'S' then 's' else 'r' end::"char", c.relowner)
          as dflt
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and {_REL}
  union all
  select 'column', n.nspname, c.relname, a.attname, c.relkind::text, null, c.relowner,
      a.attacl, pg_catalog.acldefault('c', c.relowner)
  from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid = a.attrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped
    and {_REL}
  union all
  select 'function', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid),
      p.prokind::text, pg_catalog.oidvectortypes(p.proargtypes), p.proowner, p.proacl,
      pg_catalog.acldefault('f', p.proowner)
  from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  where {user_schema()} and {not_extension("pg_proc", "p.oid")}
  union all
  select 'schema', n.nspname, n.nspname, null, null, null, n.nspowner, n.nspacl,
      pg_catalog.acldefault('n', n.nspowner)
  from pg_catalog.pg_namespace n
  where {user_schema()} and {not_extension("pg_namespace", "n.oid")}
  union all
  select 'type', n.nspname, t.typname, null, t.typtype::text, null, t.typowner, t.typacl,
      pg_catalog.acldefault('T', t.typowner)
  from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
  where {user_schema()} and {not_extension("pg_type", "t.oid")}
    and t.typtype in ('b', 'c', 'd', 'e', 'r', 'm')
    -- not array types, and not the row types of tables and views (those are the relations)
    and not exists (select 1 from pg_catalog.pg_type x where x.typarray = t.oid)
    and (t.typrelid = 0 or exists (select 1 from pg_catalog.pg_class r
                                   where r.oid = t.typrelid and r.relkind = 'c'))
    -- a multirange belongs to its range type, which may be an extension's
    and (t.typtype <> 'm' or exists (select 1 from pg_catalog.pg_range rg
         where rg.rngmultitypid = t.oid and {not_extension("pg_type", "rg.rngtypid")}))
) o
left join lateral (
  select false as is_default, x.grantee, x.privilege_type, x.is_grantable
  from pg_catalog.aclexplode(coalesce(o.acl, o.dflt)) x where x.grantee <> o.owner
  union all
  select true, x.grantee, x.privilege_type, x.is_grantable
  from pg_catalog.aclexplode(o.dflt) x where x.grantee <> o.owner
) e on true
"""


def _as_connecting(name: str) -> str:
    """``name``, or the inspecting role's name where it is a contained build's builder role
    (builder.py): the builder sets default privileges for the objects it creates where the
    connecting role used to, and its rows compare as the connecting role's, as before."""
    is_builder = (
        f"pg_catalog.starts_with({name}, '{PREFIX}')"
        f" and pg_catalog.right({name}, {len(BUILDER_SUFFIX)}) = '{BUILDER_SUFFIX}'"
    )
    return f"case when {is_builder} then current_user::text else {name} end"


# Default privileges: the raw entries (the role's own included: a global row may take them
# away), and for a global row what a missing row stands for.
_DEFAULT_ACLS = f"""
select {_as_connecting("pg_catalog.pg_get_userbyid(d.defaclrole)")} as role,
    n.nspname as schema, d.defaclobjtype::text as objtype, e.is_default,
    {_as_connecting(_GRANTEE)} as grantee,
    e.privilege_type as privilege, e.is_grantable as grantable
from pg_catalog.pg_default_acl d
left join pg_catalog.pg_namespace n on n.oid = d.defaclnamespace
left join lateral (
  select false as is_default, x.grantee, x.privilege_type, x.is_grantable
  from pg_catalog.aclexplode(d.defaclacl) x
  union all
  select true, x.grantee, x.privilege_type, x.is_grantable
  from pg_catalog.aclexplode(pg_catalog.acldefault(
      case d.defaclobjtype when 'S' then 's' else d.defaclobjtype end::"char", d.defaclrole)) x
  where d.defaclnamespace = 0
) e on true
where d.defaclnamespace = 0 or ({user_schema()})
"""

_FUNC_KEYWORD = {"p": "procedure"}  # aggregates and window functions are granted as FUNCTION
_DEFAULT_KEYWORD = {"r": "tables", "S": "sequences", "f": "functions", "T": "types", "n": "schemas"}
# ACL order (arwdDxtXUCm), so statements read like pg_dump's and compare stably.
_PRIVILEGES = (
    "INSERT",
    "SELECT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
    "EXECUTE",
    "USAGE",
    "CREATE",
    "MAINTAIN",
)


def _target(r: Any) -> tuple[tuple[str, ...], str, str | None]:
    """(key, what GRANT ... ON names, pg_default_acl object type) of one object row."""
    s, name = r.schema, r.name
    if r.kind == "relation":
        if r.extra == "S":
            return ("relation", s, name), f"sequence {qname(s, name)}", "S"
        return ("relation", s, name), f"table {qname(s, name)}", "r"
    if r.kind == "column":
        return ("column", s, name, r.sub), f"table {qname(s, name)}", None
    if r.kind == "function":
        word = _FUNC_KEYWORD.get(r.extra, "function")
        return ("function", s, name, r.sub), f"{word} {qname(s, name)}({r.args})", "f"
    if r.kind == "schema":
        return ("schema", s), f"schema {quote_ident(s)}", "n"
    word = "domain" if r.extra == "d" else "type"
    return ("type", s, name), f"{word} {qname(s, name)}", "T"


def read(cur: Any, filters: Any) -> dict[str, Any]:
    """Every object's ACL and default ACL, and every default-privileges row."""
    found: dict[tuple[str, ...], tuple[str, str | None, list[Entry], list[Entry]]] = {}
    for r in rows(cur, _ACLS):
        if not keeps(filters, r.schema, *([] if r.kind == "schema" else [r.name])):
            continue
        key, target, objtype = _target(r)
        _, _, entries, defaults = found.setdefault(key, (target, objtype, [], []))
        if r.grantee is not None:
            (defaults if r.is_default else entries).append((r.grantee, r.privilege, r.grantable))
    acls = {k: Acl(t, tuple(sorted(e)), tuple(sorted(d)), o) for k, (t, o, e, d) in found.items()}

    raw: dict[tuple[str, str | None, str], tuple[list[Entry], list[Entry]]] = {}
    for r in rows(cur, _DEFAULT_ACLS):
        if r.schema is not None and not keeps(filters, r.schema):
            continue
        entries, builtin = raw.setdefault((r.role, r.schema, r.objtype), ([], []))
        if r.grantee is not None:
            (builtin if r.is_default else entries).append((r.grantee, r.privilege, r.grantable))
    default_acls = {k: DefaultAcl(tuple(sorted(e)), tuple(sorted(b))) for k, (e, b) in raw.items()}
    return {"acls": acls, "default_acls": default_acls}


# -- statements -------------------------------------------------------------------------------


def _bound(entries: Iterable[Entry]) -> Bound:
    out: Bound = {}
    for grantee, privilege, grantable in entries:
        out[(grantee, privilege)] = out.get((grantee, privilege), False) or grantable
    return out


def _union(x: Bound, y: Bound) -> Bound:
    return {k: x.get(k, False) or y.get(k, False) for k in x.keys() | y.keys()}


def _intersection(x: Bound, y: Bound) -> Bound:
    return {k: x[k] and y[k] for k in x.keys() & y.keys()}


def _moves(lo: Bound, hi: Bound, want: Bound) -> list[tuple[str, str, str]]:
    """(action, grantee, privilege) turning any ACL between ``lo`` (entries surely present)
    and ``hi`` (entries possibly present) into ``want``. Exact when lo == hi; otherwise every
    statement is one that is harmless if the entry was already as wanted."""
    out = []
    for grantee, privilege in sorted(hi.keys() | want.keys()):
        key = (grantee, privilege)
        if key not in want:
            out.append(("revoke", grantee, privilege))
        elif want[key]:
            if not lo.get(key, False):
                out.append(("grant option", grantee, privilege))
        else:
            if hi.get(key, False):
                out.append(("revoke option", grantee, privilege))
            if key not in lo:
                out.append(("grant", grantee, privilege))
    return out


def _grantee(name: str) -> str:
    return "public" if name == PUBLIC else quote_ident(name)


_VERBS = {
    "revoke": ("revoke", "from", ""),
    "revoke option": ("revoke grant option for", "from", ""),
    "grant": ("grant", "to", ""),
    "grant option": ("grant", "to", " with grant option"),
}
_ACTION_ORDER = tuple(_VERBS)  # revokes first: a table-level REVOKE also clears its columns


def _render(
    moves: list[tuple[str, str, str]], on: str, column: str | None = None, prefix: str = ""
) -> list[str]:
    """Statements for ``moves`` on ``on`` (text after ON), grouped per action and grantee;
    ``prefix`` goes before each (ALTER DEFAULT PRIVILEGES ...)."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for action, grantee, privilege in moves:
        grouped.setdefault((action, grantee), []).append(privilege)
    out = []
    for (action, grantee), privileges in sorted(
        grouped.items(), key=lambda kv: (_ACTION_ORDER.index(kv[0][0]), kv[0][1])
    ):
        unknown = [p for p in privileges if p not in _PRIVILEGES]
        if unknown:
            out.append(refusal(f"unknown privilege {unknown[0]!r} on {on}; grant it by hand"))
            continue
        cols = f" ({quote_ident(column)})" if column is not None else ""
        names = ", ".join(p.lower() + cols for p in sorted(privileges, key=_PRIVILEGES.index))
        verb, prep, suffix = _VERBS[action]
        out.append(f"{prefix}{verb} {names} on {on} {prep} {_grantee(grantee)}{suffix};")
    return out


class _Creation:
    """What an object created by the plan starts with, bounded: the built-in defaults, plus
    what live's default privileges may add (they apply to the role running the plan, unknown
    here; the desired side's come into force only after every CREATE, as privilege
    statements run last). A global default-privileges row replaces a role's built-in
    defaults, so with any such row nothing is sure to be there."""

    def __init__(self, a: Any) -> None:
        self.rows = list(_default_acls(a).items())

    def bounds(self, schema: str, acl: Acl) -> tuple[Bound, Bound]:
        """(entries surely there, entries possibly there) once the object is created."""
        lo = _bound(acl.defaults)
        hi = dict(lo)
        for (role, in_schema, objtype), row in self.rows:
            if objtype != acl.objtype or in_schema not in (None, schema):
                continue
            if in_schema is None:
                lo = {}
            # The creating role becomes the owner: its own entries are not compared.
            hi = _union(hi, _bound(e for e in row.entries if e[0] != role))
        return lo, hi


def _default_acls(inspector: Any) -> dict[tuple[str, str | None, str], DefaultAcl]:
    facts = getattr(inspector, "diffcheck_facts", None) or {}
    return dict(facts.get("default_acls", {}))


def _touched(key: tuple[str, ...], acl: Acl, t: Touched, a: Any, b: Any) -> bool:
    """Whether migra (or another fixup) creates or re-creates the object: its ACL is then
    the creation's, not live's."""
    kind, schema = key[0], key[1]
    if kind == "relation":
        if acl.objtype == "S":
            return t.sequence(schema, key[2])
        return t.relation(schema, key[2])
    if kind == "column":
        return t.column(schema, key[2], key[3])
    if kind == "function":
        # Aggregates are dropped and re-created by fixups.aggregates when they change.
        sig = f"{qname(schema, key[2])}({key[3]})"
        aggs = [getattr(getattr(x, "diffcheck_catalog", None), "aggregates", {}) for x in (a, b)]
        changed = sig in aggs[1] and aggs[0].get(sig) != aggs[1][sig]
        return t.function(schema, key[2], key[3]) or changed
    if kind == "schema":
        return t.schema(schema)
    return t.type(schema, key[2])


def statements(a: Any, b: Any, touched: Touched) -> list[str]:
    """GRANT / REVOKE turning ``a``'s ACLs into ``b``'s, then default privileges. Objects
    only in ``a`` are dropped by the plan and left alone."""
    acls_a: dict[tuple[str, ...], Acl] = a.diffcheck_facts.get("acls", {})
    acls_b: dict[tuple[str, ...], Acl] = b.diffcheck_facts.get("acls", {})
    creation = _Creation(a)
    # (schema, table) -> entries a table-level REVOKE takes off every column as well
    cleared: dict[tuple[str, str], set[tuple[str, str]]] = {}
    out: list[str] = []
    # Columns after every relation: a table-level REVOKE also clears that privilege from the
    # table's columns, so column grants must come after it.
    for key, want in sorted(acls_b.items(), key=lambda kv: (kv[0][0] == "column", kv[0])):
        have = acls_a.get(key)
        if have is not None and not _touched(key, want, touched, a, b):
            lo = hi = _bound(have.entries)
        else:
            lo, hi = creation.bounds(key[1], want)
            if have is not None:
                lo, hi = _intersection(lo, _bound(have.entries)), _union(hi, _bound(have.entries))
        if key[0] == "column":
            gone = cleared.get((key[1], key[2]), set())
            lo = {k: v for k, v in lo.items() if k not in gone}
        moves = _moves(lo, hi, _bound(want.entries))
        if key[0] == "relation":
            cleared[(key[1], key[2])] = {
                (g, p) for act, g, p in moves if act in ("revoke", "revoke option")
            }
        out += _render(moves, want.target, key[3] if key[0] == "column" else None)
    return out + _default_statements(_default_acls(a), _default_acls(b))


def _default_statements(
    da: dict[tuple[str, str | None, str], DefaultAcl],
    db: dict[tuple[str, str | None, str], DefaultAcl],
) -> list[str]:
    """ALTER DEFAULT PRIVILEGES turning ``da``'s rows into ``db``'s. A missing global row
    means the role's built-in defaults; a missing per-schema row means no entries."""
    out: list[str] = []
    for key in sorted(da.keys() | db.keys(), key=lambda k: (k[0], k[1] or "", k[2])):
        role, schema, objtype = key
        row_a, row_b = da.get(key), db.get(key)
        source = row_a if row_a is not None else row_b
        fallback = source.builtin if source is not None and schema is None else ()
        have = _bound(row_a.entries if row_a is not None else fallback)
        want = _bound(row_b.entries if row_b is not None else fallback)
        if have == want:
            continue
        where = f" in schema {quote_ident(schema)}" if schema is not None else ""
        on = _DEFAULT_KEYWORD.get(objtype)
        if on is None:
            out.append(refusal(f"unknown default privileges object type {objtype!r}"))
            continue
        prefix = f"alter default privileges for role {quote_ident(role)}{where} "
        out += _render(_moves(have, have, want), on, prefix=prefix)
    return out
