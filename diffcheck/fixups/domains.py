"""Domains, which migra does not compare at all: a new domain is never created (so a column
or function using it fails), a dropped one is never dropped, and a changed one never changes.

Created and dropped domains become CREATE / DROP DOMAIN (their place in the plan is decided by
:mod:`diffcheck.fixups.ordering` from what uses them). A changed default, NOT NULL or CHECK
is altered in place; a changed base type or collation cannot be, and is refused."""

from __future__ import annotations

from typing import Any

from .common import refusal


def _create(d: Any) -> str:
    parts = [f"create domain {d.signature} as {d.data_type}"]
    if d.collation:
        parts.append(f"collate {d.collation}")
    if d.default:
        parts.append(f"default {d.default}")
    if d.not_null:
        parts.append("not null")
    if d.check:
        # Keep the constraint's name: an unnamed CHECK would be named by PostgreSQL and the
        # next comparison would see a rename.
        name = f"constraint {_ident(d.constraint_name)} " if d.constraint_name else ""
        parts.append(f"{name}{d.check}")
    return " ".join(parts) + ";"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _alter(da: Any, db: Any) -> list[str]:
    if (da.data_type, da.collation) != (db.data_type, db.collation):
        return [
            refusal(
                f"domain {db.signature} changes its base type or collation "
                f"({da.data_type} -> {db.data_type}); a domain cannot be altered that way: "
                "it needs a new domain and every column re-typed (REQUIRES_REBUILD)"
            )
        ]
    out: list[str] = []
    name = db.signature
    if da.default != db.default:
        out.append(
            f"alter domain {name} set default {db.default};"
            if db.default
            else f"alter domain {name} drop default;"
        )
    if bool(da.not_null) != bool(db.not_null):
        out.append(f"alter domain {name} {'set' if db.not_null else 'drop'} not null;")
    if (da.check, da.constraint_name) != (db.check, db.constraint_name):
        if da.check and da.constraint_name:
            out.append(f"alter domain {name} drop constraint {_ident(da.constraint_name)};")
        if db.check:
            cname = f"constraint {_ident(db.constraint_name)} " if db.constraint_name else ""
            out.append(f"alter domain {name} add {cname}{db.check};")
    return out


def statements(a: Any, b: Any) -> list[str]:
    """Statements turning ``a``'s domains into ``b``'s (unordered: ordering places them)."""
    da_all, db_all = getattr(a, "domains", {}) or {}, getattr(b, "domains", {}) or {}
    out: list[str] = []
    for key, db in db_all.items():
        da = da_all.get(key)
        if da is None:
            out.append(_create(db))
        else:
            out += _alter(da, db)
    for key, da in da_all.items():
        if key not in db_all:
            out.append(da.drop_statement)
    return out
