"""Partitioned tables: what migra gets wrong about them, and what must be refused.

Inherited indexes, constraints and triggers of partitions are hidden by ``catalog.py``, and
which partition index is attached to which partitioned index is handled by ``bs_indexes``.
Here, from the partitioning facts ``catalog.py`` reads (key, bound and parent of every
partitioned table and partition):

* a partitioned table whose key or strategy changes, or a table that becomes (or stops being)
  partitioned, cannot be altered in place: migra drops and re-creates it, losing its data.
  That is refused (REQUIRES_REBUILD);
* a partition whose bound changes is detached and re-attached with the new bound (migra does
  not compare bounds at all); one whose parent changes is detached and attached;
* a partition that is itself partitioned is created ``PARTITION OF parent FOR VALUES ...
  PARTITION BY key`` (schemainspect writes the bound where the key belongs);
* a PRIMARY KEY or UNIQUE constraint on a partitioned table is added with its definition:
  migra builds the index first and adds the constraint ``USING INDEX``, which partitioned
  tables do not support; a FOREIGN KEY on one is added valid at once (``NOT VALID`` is not
  supported there)."""

from __future__ import annotations

from typing import Any

from ..catalog import Catalog, Partitioning
from .common import refusal


def _patch_attach_statement() -> None:
    """schemainspect's ATTACH PARTITION names the child as the table and the parent as the
    partition, and uses an attribute it never sets (``partition_spec``)."""
    from schemainspect.pg.obj import InspectedSelectable  # type: ignore[import-untyped]

    def attach_statement(self: Any) -> str | None:
        if not self.parent_table:
            return None
        if self.partition_def:
            return (
                f"alter table {self.parent_table} attach partition {self.quoted_full_name} "
                f"{self.partition_def};"
            )
        return f"alter table {self.quoted_full_name} inherit {self.parent_table};"

    InspectedSelectable.attach_statement = property(attach_statement)


_patch_attach_statement()


def _norm(text: str) -> str:
    return " ".join(text.split()).rstrip(";").strip()


def _catalog(inspector: Any) -> Catalog:
    cat = getattr(inspector, "diffcheck_catalog", None)
    return cat if isinstance(cat, Catalog) else Catalog()


def _refusals(a: Any, b: Any, ca: Catalog, cb: Catalog) -> tuple[list[str], set[str]]:
    """Refusals for changes that need a rebuild, and the tables they concern (whose drop and
    re-create by migra must not run)."""
    out: list[str] = []
    tables: set[str] = set()
    for key, tb in b.tables.items():
        ta = a.tables.get(key)
        if ta is None:
            continue
        if ta.is_partitioned != tb.is_partitioned:
            what = "a partitioned table" if tb.is_partitioned else "a plain table"
            out.append(
                refusal(
                    f"REQUIRES_REBUILD: {key} would become {what}; PostgreSQL cannot convert "
                    "a table in place: create the new table, copy the data, and swap names"
                )
            )
            tables.add(key)
            continue
        pa, pb = ca.partitioning.get(key), cb.partitioning.get(key)
        if pa and pb and pa.key != pb.key:
            out.append(
                refusal(
                    f"REQUIRES_REBUILD: the partition key of {key} changes from "
                    f"{pa.key} to {pb.key}; a partition key cannot be altered: create a new "
                    "partitioned table, move the data, and swap names"
                )
            )
            tables.add(key)
    return out, tables


def _bound_changes(a: Any, b: Any, ca: Catalog, cb: Catalog, skip: set[str]) -> list[str]:
    """Detach and re-attach partitions whose bound changed under the same parent."""
    out: list[str] = []
    for key, pb in cb.partitioning.items():
        pa = ca.partitioning.get(key)
        if pa is None or pb.parent is None or pa.parent != pb.parent or pa.bound == pb.bound:
            continue
        if key not in a.tables or key not in b.tables or pb.parent in skip:
            continue
        out.append(f"alter table {pb.parent} detach partition {key};")
        out.append(f"alter table {pb.parent} attach partition {key} {pb.bound};")
    return out


def _subpartition_create(t: Any, p: Partitioning) -> str:
    return (
        f"create {t.persistence_modifier}table {t.quoted_full_name} partition of {p.parent} "
        f"{p.bound} partition by {p.key};"
    )


def fix(statements: list[str], a: Any, b: Any) -> list[str]:
    """Correct migra's statements for partitioned tables (see the module docstring)."""
    ca, cb = _catalog(a), _catalog(b)
    refusals, rebuild = _refusals(a, b, ca, cb)
    replace: dict[str, str | None] = {}  # normalized migra statement -> replacement (None: drop)

    for key in rebuild:
        # migra's drop + create would lose the data; the refusal stands in for them.
        for t in (a.tables.get(key), b.tables.get(key)):
            if t is not None:
                replace[_norm(t.drop_statement)] = None
                replace[_norm(t.create_statement)] = None
        for child in b.tables.values():
            if child.parent_table == key:
                replace[_norm(child.create_statement)] = None

    for key, t in b.tables.items():
        p = cb.partitioning.get(key)
        if p is not None and p.relkind == "p" and p.parent and p.key and p.bound:
            replace[_norm(t.create_statement)] = _subpartition_create(t, p)

    for con in b.constraints.values():
        table = b.tables.get(con.quoted_full_table_name)
        if table is None or not table.is_partitioned:
            continue
        if con.index and con.constraint_type != "EXCLUDE":
            # The constraint builds (and cascades) its own index.
            replace[_norm(con.create_statement)] = (
                f"alter table {con.quoted_full_table_name} add constraint {con.quoted_name} "
                f"{con.definition};"
            )
            idx = b.indexes.get(f"{con.quoted_schema}.{con.quoted_name}")
            if idx is not None:
                replace[_norm(idx.create_statement)] = None
        elif con.can_use_not_valid and con.constraint_type == "FOREIGN KEY":
            replace[_norm(con.get_create_statement(set_not_valid=True))] = con.create_statement
            replace[_norm(con.validate_statement)] = None

    out: list[str] = list(refusals)
    for text in statements:
        new = replace.get(_norm(text), text)
        if new is not None:
            out.append(new)
    return out + _bound_changes(a, b, ca, cb, rebuild)
