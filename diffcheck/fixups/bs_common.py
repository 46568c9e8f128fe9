"""Shared pieces of the blind-spot fixups: quoting, catalog filtering, and what migra rebuilds.

Facts are plain tuples and dicts keyed by names (never OIDs), so the two sides compare and an
inspection can be pickled by the cache."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

# User schemas only: PostgreSQL reserves the pg_ prefix, and diffcheck keeps its history in
# "diffcheck", which is never part of a desired schema.
USER_SCHEMA = "{n}.nspname !~ '^pg_' and {n}.nspname not in ('information_schema', 'diffcheck')"


def user_schema(alias: str = "n") -> str:
    """SQL condition: namespace ``alias`` is a user schema."""
    return USER_SCHEMA.format(n=alias)


def not_extension(catalog: str, oid: str) -> str:
    """SQL condition: the object ``oid`` of system catalog ``catalog`` is not an extension's."""
    return (
        "not exists (select 1 from pg_catalog.pg_depend xd where xd.classid = "
        f"'pg_catalog.{catalog}'::regclass and xd.objid = {oid} and xd.deptype = 'e')"
    )


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A standard single-quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def qname(schema: str, name: str) -> str:
    """``"schema"."name"``: the SQL name, and also schemainspect's key format."""
    if '"' in schema or '"' in name:
        return quote_ident(schema) + "." + quote_ident(name)
    return f'"{schema}"."{name}"'  # called per catalog row: the common case, inlined


def keeps(filters: Any, schema: str, *names: str | None) -> bool:
    """Whether the comparison filters keep an object (a missing filter keeps everything)."""
    if filters is None:
        return True
    return bool(filters.keeps_schema(schema) and filters.keeps_name(schema, *names))


def rows(cur: Any, query: str) -> list[Any]:
    """All rows of one catalog query."""
    cur.execute(query)
    return list(cur.fetchall())


def server_version(cur: Any) -> int:
    """The server's version number (150018 for 15.18)."""
    return int(cur.connection.server_version)


def options(raw: Iterable[str] | None) -> dict[str, str]:
    """``{name: value}`` from a reloptions-style ``name=value`` array."""
    out: dict[str, str] = {}
    for item in raw or ():
        name, _, value = item.partition("=")
        out[name] = value
    return out


def option_clauses(a: dict[str, str], b: dict[str, str]) -> tuple[str, str]:
    """``set (...)`` and ``reset (...)`` bodies turning options ``a`` into ``b`` ('' if none)."""
    changed = sorted(k for k in b if a.get(k) != b[k])
    removed = sorted(k for k in a if k not in b)
    sets = ", ".join(f"{_option_name(k)} = {quote_literal(b[k])}" for k in changed)
    resets = ", ".join(_option_name(k) for k in removed)
    return sets, resets


def _option_name(name: str) -> str:
    # "toast.autovacuum_enabled" is a namespace-qualified option: quote each part.
    return ".".join(quote_ident(p) for p in name.split("."))


def differs(a: Any, b: Any, touched: bool, default: Any) -> bool:
    """Whether a property must be set to ``b``.

    When migra (re)creates the object, the live value is gone and PostgreSQL's ``default``
    takes its place; setting ``b`` whenever either side is not the default is then safe and
    idempotent. Otherwise only a real difference counts. Either way a difference between
    ``a`` and ``b`` always yields a statement, so no difference can be reported as in sync."""
    if touched:
        return a != default or b != default
    return a != b


class Touched:
    """Which objects migra's statements create or re-create when turning ``a`` into ``b``.

    Their comments, options and other blind-spot properties start from PostgreSQL's defaults
    rather than from the live values, so those are what the blind-spot statements must move."""

    def __init__(self, a: Any, b: Any) -> None:
        self.a, self.b = a, b
        from migra.changes import get_selectable_differences  # type: ignore[import-untyped]

        diff = get_selectable_differences(
            OrderedDict(sorted(a.selectables.items())),
            OrderedDict(sorted(b.selectables.items())),
            a.enums,
            b.enums,
            True,
        )
        added_other, modified_other, replaceable = diff[5], diff[7], diff[8]
        self.selectables = set(added_other) | set(modified_other)
        # Triggers on re-created (not replaced) selectables are re-created too.
        self._rebuilt = set(modified_other) - set(replaceable)
        self.tables = {
            k
            for k, t in b.tables.items()
            if k not in a.tables or a.tables[k].is_partitioned != t.is_partitioned
        }

    def _changed(self, prop: str, key: str) -> bool:
        mine, theirs = getattr(self.a, prop, {}), getattr(self.b, prop, {})
        return key in theirs and (key not in mine or mine[key] != theirs[key])

    def relation(self, schema: str, name: str) -> bool:
        """A table, view, materialized view or composite type."""
        key = qname(schema, name)
        return key in self.tables or key in self.selectables

    def column(self, schema: str, table: str, column: str) -> bool:
        """A column, dropped and re-added when its table is or its generated state changes."""
        if self.relation(schema, table):
            return True
        key = qname(schema, table)
        ta, tb = self.a.tables.get(key), self.b.tables.get(key)
        if ta is None or tb is None:
            return False
        ca, cb = ta.columns.get(column), tb.columns.get(column)
        if cb is None:
            return False
        return (
            ca is None or ca.is_generated != cb.is_generated or ca.is_inherited != cb.is_inherited
        )

    def sequence(self, schema: str, name: str) -> bool:
        """A standalone sequence."""
        key = qname(schema, name)
        return key in self.b.sequences and key not in self.a.sequences

    def index(self, schema: str, name: str) -> bool:
        """An index (migra drops and re-creates changed ones)."""
        return self._changed("indexes", qname(schema, name))

    def constraint(self, schema: str, table: str, name: str) -> bool:
        """A table constraint."""
        key = qname(schema, table) + "." + quote_ident(name)
        return self.relation(schema, table) or self._changed("constraints", key)

    def function(self, schema: str, name: str, args: str) -> bool:
        """A function, procedure or aggregate (identity arguments as PostgreSQL prints them)."""
        return f"{qname(schema, name)}({args})" in self.selectables

    def trigger(self, schema: str, table: str, name: str) -> bool:
        """A trigger."""
        key = qname(schema, table) + "." + quote_ident(name)
        return (
            self.relation(schema, table)
            or self._changed("triggers", key)
            or (key in self.b.triggers and qname(schema, table) in self._rebuilt)
        )

    def policy(self, schema: str, table: str, name: str) -> bool:
        """A row-level security policy."""
        key = qname(schema, table) + "." + quote_ident(name)
        return self.relation(schema, table) or self._changed("rlspolicies", key)

    def type(self, schema: str, name: str) -> bool:
        """An enum, domain, composite or other user type."""
        key = qname(schema, name)
        if key in self.b.enums:
            ea = self.a.enums.get(key)
            return ea is None or list(ea.elements) != list(self.b.enums[key].elements)
        return (
            self._changed("domains", key)
            or key in self.selectables
            or (key in getattr(self.b, "types", {}) and key not in getattr(self.a, "types", {}))
        )

    def schema(self, name: str) -> bool:
        """A schema."""
        return name in self.b.schemas and name not in self.a.schemas
