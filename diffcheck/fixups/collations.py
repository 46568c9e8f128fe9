"""Collations: compare and create them from their whole catalog definition.

schemainspect reads ``collcollate`` as an ICU collation's locale, but PostgreSQL 15 keeps an
ICU locale in ``colliculocale`` (17: ``colllocale``) and leaves ``collcollate`` NULL. So two
different ICU collations compared equal (a false "in sync"), and migra created one as
``locale = 'None'`` (musicbrainz's ``@colCaseFirst=lower;colNumeric=yes`` collation came out
as the root locale). ``deterministic`` and ICU ``rules`` were never compared at all.

Each collation's CREATE statement is built here from ``to_jsonb`` of its pg_collation row,
which names the locale columns of whatever server version is running; equality and creation
then use that statement."""

from __future__ import annotations

from typing import Any

from .bs_common import Touched, keeps, not_extension, qname, quote_literal, rows, user_schema

_COLLATIONS = f"""
select n.nspname as schema, c.collname as name, to_jsonb(c) as row
from pg_catalog.pg_collation c
join pg_catalog.pg_namespace n on n.oid = c.collnamespace
where {user_schema()} and {not_extension("pg_collation", "c.oid")}
"""

_PROVIDERS = {"i": "icu", "c": "libc", "b": "builtin", "d": "default"}


def definition(schema: str, name: str, row: dict[str, Any]) -> str:
    """``create collation if not exists`` for one pg_collation row (as JSON)."""
    provider = _PROVIDERS.get(str(row.get("collprovider")), "libc")
    parts = [f"provider = {provider}"]
    if provider in ("icu", "builtin"):
        locale = row.get("colllocale") or row.get("colliculocale") or row.get("collcollate")
        if locale is not None:
            parts.append(f"locale = {quote_literal(str(locale))}")
        if row.get("collicurules"):
            parts.append(f"rules = {quote_literal(str(row['collicurules']))}")
    else:
        collate, ctype = row.get("collcollate"), row.get("collctype")
        if collate is not None and collate == ctype:
            parts.append(f"locale = {quote_literal(str(collate))}")
        else:
            if collate is not None:
                parts.append(f"lc_collate = {quote_literal(str(collate))}")
            if ctype is not None:
                parts.append(f"lc_ctype = {quote_literal(str(ctype))}")
    if row.get("collisdeterministic") is False:
        parts.append("deterministic = false")
    return f"create collation if not exists {qname(schema, name)} ({', '.join(parts)});"


def read(cur: Any, filters: Any) -> dict[str, Any]:
    """Every user collation's CREATE statement, keyed by (schema, name)."""
    return {
        "collations": {
            (r.schema, r.name): definition(r.schema, r.name, dict(r.row))
            for r in rows(cur, _COLLATIONS)
            if keeps(filters, r.schema, r.name)
        }
    }


def statements(a: Any, b: Any, touched: Touched) -> list[str]:
    """Nothing of its own: migra drops and re-creates a collation whose definition differs,
    once :func:`annotate` has given both sides their definitions."""
    return []


def fix(statements: list[str], a: Any, b: Any) -> list[str]:
    """migra creates collations early and drops them late, so a changed collation came out
    as ``create if not exists`` (a no-op) followed by its drop. Each changed collation's DROP
    is moved to just before its CREATE; the ordering that follows keeps them in that order."""
    out = list(statements)
    for key, cb in b.collations.items():
        ca = a.collations.get(key)
        if ca is None or ca == cb:
            continue
        drop, create = ca.drop_statement, cb.create_statement
        if drop in out and create in out and out.index(create) < out.index(drop):
            out.remove(drop)
            out.insert(out.index(create), drop)
    return out


def annotate(inspector: Any) -> None:
    """Attach each collation's CREATE statement from the facts to schemainspect's object."""
    facts = getattr(inspector, "diffcheck_facts", {}).get("collations", {})
    for coll in inspector.collations.values():
        coll.diffcheck_definition = facts.get((coll.schema, coll.name))


def _patch() -> None:
    from schemainspect.pg.obj import InspectedCollation  # type: ignore[import-untyped]

    original_eq = InspectedCollation.__eq__
    original_create = InspectedCollation.create_statement.fget

    def __eq__(self: Any, other: Any) -> bool:
        mine = getattr(self, "diffcheck_definition", None)
        theirs = getattr(other, "diffcheck_definition", None)
        if mine is not None and theirs is not None:
            return bool(mine == theirs)
        return bool(original_eq(self, other))

    def create_statement(self: Any) -> str:
        return getattr(self, "diffcheck_definition", None) or str(original_create(self))

    InspectedCollation.__eq__ = __eq__
    InspectedCollation.create_statement = property(create_statement)


_patch()
