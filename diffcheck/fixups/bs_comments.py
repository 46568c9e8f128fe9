"""COMMENT ON: migra emits no comments at all, and schemainspect compares none.

Covered: schemas, tables, partitioned and foreign tables, views, materialized views,
sequences, indexes, columns (of tables, views, materialized views, composite types),
functions, procedures and aggregates (by identity arguments), table and domain constraints,
types (enum, domain, composite, range), triggers, policies and collations. Every commentable
object is read, with or without a comment, so "no comment" on one side is a value, not a
missing object."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .bs_common import (
    Touched,
    differs,
    keeps,
    not_extension,
    qname,
    quote_ident,
    quote_literal,
    rows,
    user_schema,
)


class Comment(NamedTuple):
    """What ``comment on`` names (SQL text after ``comment on``) and the comment, if any."""

    target: str
    comment: str | None
    relkind: str | None


_REL = f"{user_schema()} and {not_extension('pg_class', 'c.oid')}"


def _described(oid: str, catalog: str, subid: str = "0") -> str:
    """The join that obj_description / col_description would run once per row: as a join,
    the comments of 55,000 objects (5,000 tables) take a tenth of the time."""
    return (
        "left join pg_catalog.pg_description d on d.objoid = "
        f"{oid} and d.classoid = 'pg_catalog.{catalog}'::regclass and d.objsubid = {subid}"
    )


# One query for all kinds: (kind, schema, name, sub, extra, comment). ``name`` is the object or
# its table; ``sub`` the column, constraint, trigger or policy, or the function's arguments.
_COMMENTS = f"""
select 'schema' as kind, n.nspname as schema, n.nspname as name, null::text as sub,
    null::text as extra, d.description as comment
from pg_catalog.pg_namespace n
{_described("n.oid", "pg_namespace")}
where {user_schema()} and {not_extension("pg_namespace", "n.oid")}
union all
select 'relation', n.nspname, c.relname, null, c.relkind::text, d.description
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
left join pg_catalog.pg_index x on x.indexrelid = c.oid
{_described("c.oid", "pg_class")}
where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f', 'i', 'I') and {_REL}
  and (x.indrelid is null or {not_extension("pg_class", "x.indrelid")})
union all
select 'column', n.nspname, c.relname, a.attname, c.relkind::text, d.description
from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
{_described("c.oid", "pg_class", "a.attnum")}
where c.relkind in ('r', 'p', 'v', 'm', 'f', 'c') and a.attnum > 0 and not a.attisdropped
  and {_REL}
union all
select 'function', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid),
    p.prokind::text, d.description
from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
{_described("p.oid", "pg_proc")}
where {user_schema()} and {not_extension("pg_proc", "p.oid")}
union all
select 'constraint', n.nspname, c.relname, co.conname, 'table', d.description
from pg_catalog.pg_constraint co join pg_catalog.pg_class c on c.oid = co.conrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
{_described("co.oid", "pg_constraint")}
where {_REL}
union all
select 'constraint', n.nspname, t.typname, co.conname, 'domain', d.description
from pg_catalog.pg_constraint co join pg_catalog.pg_type t on t.oid = co.contypid
join pg_catalog.pg_namespace n on n.oid = t.typnamespace
{_described("co.oid", "pg_constraint")}
where {user_schema()} and {not_extension("pg_type", "t.oid")}
union all
select 'type', n.nspname, t.typname, null, t.typtype::text, d.description
from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
{_described("t.oid", "pg_type")}
where {user_schema()} and {not_extension("pg_type", "t.oid")}
  -- not array types, and not the row types of tables and views (those are the relations)
  and not exists (select 1 from pg_catalog.pg_type e where e.typarray = t.oid)
  and (t.typrelid = 0 or exists (select 1 from pg_catalog.pg_class r
                                 where r.oid = t.typrelid and r.relkind = 'c'))
union all
select 'trigger', n.nspname, c.relname, tg.tgname, null, d.description
from pg_catalog.pg_trigger tg join pg_catalog.pg_class c on c.oid = tg.tgrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
{_described("tg.oid", "pg_trigger")}
where not tg.tgisinternal and {_REL}
union all
select 'policy', n.nspname, c.relname, po.polname, null, d.description
from pg_catalog.pg_policy po join pg_catalog.pg_class c on c.oid = po.polrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
{_described("po.oid", "pg_policy")}
where {_REL}
union all
select 'collation', n.nspname, co.collname, null, null, d.description
from pg_catalog.pg_collation co join pg_catalog.pg_namespace n on n.oid = co.collnamespace
{_described("co.oid", "pg_collation")}
where {user_schema()} and {not_extension("pg_collation", "co.oid")}
"""

REL_KEYWORD = {
    "r": "table",
    "p": "table",
    "v": "view",
    "m": "materialized view",
    "S": "sequence",
    "f": "foreign table",
    "i": "index",
    "I": "index",
}
FUNC_KEYWORD = {"f": "function", "p": "procedure", "a": "aggregate", "w": "function"}


def _entry(r: Any) -> tuple[tuple[str, ...], str, tuple[str | None, ...]] | None:
    """(key, target, names to filter on) of one row, or None for kinds not handled."""
    s, name, sub, extra = r.schema, r.name, r.sub, r.extra
    if r.kind == "schema":
        return ("schema", s), f"schema {quote_ident(s)}", ()
    if r.kind == "relation":
        return ("relation", s, name), f"{REL_KEYWORD[extra]} {qname(s, name)}", (name,)
    if r.kind == "column":
        return (
            ("column", s, name, sub),
            f"column {qname(s, name)}.{quote_ident(sub)}",
            (name,),
        )
    if r.kind == "function":
        args = sub or ("*" if extra == "a" else "")
        return (
            ("function", s, name, sub or ""),
            f"{FUNC_KEYWORD.get(extra, 'function')} {qname(s, name)}({args})",
            (name,),
        )
    if r.kind == "constraint":
        on = "domain " if extra == "domain" else ""
        return (
            ("constraint", s, name, sub, extra),
            f"constraint {quote_ident(sub)} on {on}{qname(s, name)}",
            (sub, name),
        )
    if r.kind == "type":
        return ("type", s, name), f"type {qname(s, name)}", (name,)
    if r.kind in ("trigger", "policy"):
        return (
            (r.kind, s, name, sub),
            f"{r.kind} {quote_ident(sub)} on {qname(s, name)}",
            (sub, name),
        )
    if r.kind == "collation":
        return ("collation", s, name), f"collation {qname(s, name)}", (name,)
    return None


def read(cur: Any, filters: Any) -> dict[str, Any]:
    """Every commentable object with its comment (None when it has none)."""
    out: dict[tuple[str, ...], Comment] = {}
    for r in rows(cur, _COMMENTS):
        entry = _entry(r)
        if entry is None:
            continue
        key, target, names = entry
        if keeps(filters, r.schema, *names):
            relkind = r.extra if r.kind == "relation" else None
            out[key] = Comment(target, r.comment, relkind)
    return {"comments": out}


def _touched(key: tuple[str, ...], c: Comment, t: Touched) -> bool:
    """Whether migra (re)creates the commented object, which loses its comment."""
    kind = key[0]
    checks: dict[str, Callable[[], bool]] = {
        "schema": lambda: t.schema(key[1]),
        "column": lambda: t.column(key[1], key[2], key[3]),
        "function": lambda: t.function(key[1], key[2], key[3]),
        "constraint": lambda: (
            t.type(key[1], key[2]) if key[4] == "domain" else t.constraint(*key[1:4])
        ),
        "type": lambda: t.type(key[1], key[2]),
        "trigger": lambda: t.trigger(*key[1:4]),
        "policy": lambda: t.policy(*key[1:4]),
        "collation": lambda: t._changed("collations", qname(key[1], key[2])),
    }
    if kind == "relation":
        if c.relkind == "S":
            return t.sequence(key[1], key[2])
        if c.relkind in ("i", "I"):
            return t.index(key[1], key[2])
        return t.relation(key[1], key[2])
    return checks[kind]() if kind in checks else False


def statements(a: Any, b: Any, touched: Touched) -> list[str]:
    """``comment on ... is ...`` for every comment that differs."""
    ca: dict[tuple[str, ...], Comment] = a.diffcheck_facts.get("comments", {})
    cb: dict[tuple[str, ...], Comment] = b.diffcheck_facts.get("comments", {})
    out = []
    for key, want in sorted(cb.items()):
        have = ca.get(key)
        fresh = have is None or _touched(key, want, touched)
        before = None if have is None else have.comment
        if differs(before, want.comment, fresh, None):
            text = "null" if want.comment is None else quote_literal(want.comment)
            out.append(f"comment on {want.target} is {text};")
    return out
