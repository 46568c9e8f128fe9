"""Corrections around migra: facts it does not read, statements it gets wrong.

``read_facts`` runs inside the inspection's read-only transaction. ``postprocess`` receives
migra's statements plus both inspectors (with their ``diffcheck_facts``) and returns the
corrected list. Each concern lives in its own module and is chained here."""

from __future__ import annotations

from typing import Any

from . import blindspots, ordering, partitions
from . import functions as _functions  # noqa: F401 - patches function equality on import
from .common import refusal

__all__ = ["postprocess", "read_facts", "refusal"]


def read_facts(cur: Any, filters: Any) -> dict[str, Any]:
    """Catalog facts that schemainspect does not collect, keyed by kind then object."""
    return blindspots.read_facts(cur, filters)


def postprocess(statements: list[str], a: Any, b: Any) -> list[str]:
    """Correct migra's statements turning inspector ``a`` into ``b``."""
    # migra statements that are wrong for blind-spot facts (NOT VALID, CLUSTER ON, index
    # attachment, identity -> serial) are corrected before anything is reordered.
    statements = blindspots.fix_migra(statements, a, b)
    statements = partitions.fix(statements, a, b)
    statements = statements + blindspots.statements(a, b)
    return ordering.fix(statements, a, b)
