"""Column type changes.

schemainspect writes every type change as ``SET DATA TYPE t USING col::t``. That explicit
cast turns conversions PostgreSQL would refuse to make on its own (text -> integer, boolean
-> integer) into ones that succeed on an empty rehearsal clone and then fail, or silently
convert, on live data. Without the USING clause PostgreSQL applies only implicit and
assignment casts, which cannot lose meaning, and otherwise fails with "column ... cannot be
cast automatically", hinting at the USING expression a human must choose: the plan then ends
UNVERIFIED with that error. (Enum rebuilds keep their ``::text::enum`` USING: that cast is
what the rebuild is.)

Column order is not compared (as in migra): a column added by ALTER TABLE is appended, so a
migrated table's order legitimately differs from the desired file's, and a reordering of
existing columns cannot be told apart from that afterwards.

A column whose type and default both change has its old default dropped before the type
change (the old default may not convert to the new type); the new default is set after it
(see :mod:`diffcheck.fixups.ordering`)."""

from __future__ import annotations

from typing import Any


def _patch_alter_data_type_clause() -> None:
    from schemainspect.inspected import ColumnInfo  # type: ignore[import-untyped]

    def alter_data_type_clause(self: Any) -> str:
        return f"alter column {self.quoted_name} set data type {self.dbtypestr}" + (
            self.collation_subclause
        )

    ColumnInfo.alter_data_type_clause = property(alter_data_type_clause)


def _patch_collation_subclause() -> None:
    """schemainspect writes ``collate "name"`` without the collation's schema, which fails
    (or picks another collation) unless that schema is on the search_path: musicbrainz's
    ``COLLATE musicbrainz.musicbrainz``. The qualified name comes from diffcheck's facts."""
    from schemainspect.inspected import ColumnInfo

    original = ColumnInfo.collation_subclause.fget

    def collation_subclause(self: Any) -> str:
        qualified = getattr(self, "diffcheck_collation", None)
        if self.collation and qualified:
            return f" collate {qualified}"
        return str(original(self))

    ColumnInfo.collation_subclause = property(collation_subclause)


_patch_alter_data_type_clause()
_patch_collation_subclause()


def qualify_collations(inspector: Any) -> None:
    """Give every column with a collation its schema-qualified, quoted name (from the
    ``columns`` facts, read by bs_relations with PostgreSQL's quote_ident)."""
    facts = getattr(inspector, "diffcheck_facts", {}).get("columns", {})
    for rel in inspector.relations.values():
        for name, col in rel.columns.items():
            fact = facts.get((rel.schema, rel.name, name))
            if col.collation and fact is not None and fact.collation:
                col.diffcheck_collation = fact.collation


def statements(a: Any, b: Any) -> list[str]:
    """DROP DEFAULT for columns whose type and default both change."""
    out: list[str] = []
    for key, tb in b.tables.items():
        ta = a.tables.get(key)
        if ta is None:
            continue
        for name, cb in tb.columns.items():
            ca = ta.columns.get(name)
            if ca is None or ca.is_generated or cb.is_generated or ca.is_enum or cb.is_enum:
                continue
            if ca.dbtypestr != cb.dbtypestr and ca.default and ca.default != cb.default:
                out.append(f"alter table {key} alter column {ca.quoted_name} drop default;")
    return out
