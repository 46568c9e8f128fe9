"""Corrections around migra: facts it does not read, statements it gets wrong.

``read_facts`` runs inside the inspection's read-only transaction. ``postprocess`` receives
migra's statements plus both inspectors (with their ``diffcheck_facts``) and returns the
corrected list. Each concern lives in its own module and is chained here."""

from __future__ import annotations

from typing import Any

from . import blindspots, bs_indexes, collations, columns, ordering, partitions
from . import functions as _functions  # noqa: F401 - patches function equality on import
from .common import refusal

__all__ = ["annotate", "fact_readers", "merge_facts", "postprocess", "read_facts", "refusal"]

fact_readers = blindspots.fact_readers
merge_facts = blindspots.merge_facts


def read_facts(cur: Any, filters: Any) -> dict[str, Any]:
    """Catalog facts that schemainspect does not collect, keyed by kind then object."""
    return blindspots.read_facts(cur, filters)


def fill_index_definitions(
    cur: Any, known: dict[tuple[str, str], str], facts: dict[str, Any], part_indexes: Any
) -> None:
    """Index definitions in the facts, from schemainspect's (see bs_indexes)."""
    bs_indexes.fill_definitions(cur, known, facts, part_indexes)


def annotate(inspector: Any) -> None:
    """Fill in what migra's statements need from the facts (qualified collation names,
    collation definitions)."""
    columns.qualify_collations(inspector)
    collations.annotate(inspector)


def postprocess(statements: list[str], a: Any, b: Any, *, privileges: bool = False) -> list[str]:
    """Correct migra's statements turning inspector ``a`` into ``b`` (with GRANT / REVOKE
    when ``privileges``)."""
    # migra statements that are wrong for blind-spot facts (NOT VALID, CLUSTER ON, index
    # attachment, identity -> serial) are corrected before anything is reordered.
    statements = blindspots.fix_migra(statements, a, b)
    statements = partitions.fix(statements, a, b)
    statements = collations.fix(statements, a, b)
    statements = statements + blindspots.statements(a, b)
    statements = ordering.fix(statements, a, b)
    if privileges:
        # GRANT / REVOKE go last, once every object they name exists: ordering cannot see
        # which type or schema a GRANT names, and would run one on a new domain before the
        # CREATE DOMAIN that fixups.domains adds.
        statements = statements + blindspots.statements(a, b, privileges=True)
    return statements
