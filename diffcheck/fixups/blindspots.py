"""Differences migra does not see (or mishandles), compared from diffcheck's own catalog facts.

``read_facts`` reads them inside each side's read-only inspection transaction;
``statements`` turns the ``from`` side's facts into the ``to`` side's, after migra's own
statements; ``fix_migra`` corrects migra's statements where they break a blind spot (see
bs_migra). Each concern has its own module:

- bs_sequences: standalone sequence options (AS, INCREMENT, MIN/MAX, START, CACHE, CYCLE) and
  identity column sequences (options, name, schema, type);
- bs_relations: storage parameters of tables, materialized views and views, REPLICA
  IDENTITY, FORCE ROW LEVEL SECURITY, CLUSTER ON, access method; column STORAGE, STATISTICS,
  COMPRESSION, attribute options and schema-qualified collations;
- bs_indexes: index storage parameters and validity, and which partition index is attached
  to which partitioned index;
- bs_objects: extended statistics objects and rewrite rules, which schemainspect never reads;
- bs_comments: COMMENT ON for every kind of object diffcheck compares;
- privileges: GRANT / REVOKE and default privileges (only with ``--with-privileges``, which
  turns migra's own, incomplete privilege statements off).

The rule everywhere: a fact that differs between the sides always yields a statement, or a
refusal when PostgreSQL cannot make the change in place, so ``check`` can never call two
schemas in sync while a blind-spot fact differs. NOT VALID and NO INHERIT of CHECK
constraints are part of ``pg_get_constraintdef``, so migra already sees them; bs_migra
makes its statements for them right."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import bs_comments, bs_indexes, bs_migra, bs_objects, bs_relations, bs_sequences, collations
from . import privileges as bs_privileges
from .bs_common import Touched
from .common import refusal

# Bumped whenever the facts' shape changes: facts read by another diffcheck (a cached desired
# inspection) are refused rather than compared as if nothing were there.
FACTS_VERSION = 4

_MODULES = (
    bs_sequences,
    bs_relations,
    bs_indexes,
    bs_objects,
    bs_comments,
    bs_privileges,
    collations,
)


# The order in which the concerns' catalog reads start: longest first (comments 0.5 s,
# privileges 0.3 s at 5,000 tables), so that at the end of an inspection over helper
# connections no helper idles while another still runs a long read.
_READ_ORDER = (
    bs_comments,
    bs_privileges,
    bs_relations,
    bs_sequences,
    bs_indexes,
    bs_objects,
    collations,
)
assert set(_READ_ORDER) == set(_MODULES)


def fact_readers() -> list[Callable[[Any, Any], dict[str, Any]]]:
    """``read(cur, filters)`` of each concern: independent, so they may run side by side.
    Their facts have distinct keys, so they merge in any order."""
    return [module.read for module in _READ_ORDER]


def merge_facts(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The facts of every concern, with the format version."""
    facts: dict[str, Any] = {"version": FACTS_VERSION}
    for part in parts:
        if facts.keys() & part.keys():
            raise AssertionError(f"fact kinds read twice: {sorted(facts.keys() & part.keys())}")
        facts.update(part)
    return facts


def read_facts(cur: Any, filters: Any) -> dict[str, Any]:
    """Catalog facts schemainspect does not collect, one query per kind."""
    return merge_facts(read(cur, filters) for read in fact_readers())


def _facts_version(inspector: Any) -> Any:
    facts = getattr(inspector, "diffcheck_facts", None)
    return facts.get("version") if isinstance(facts, dict) else None


def statements(a: Any, b: Any, *, privileges: bool = False) -> list[str]:
    """SQL turning ``a``'s blind-spot facts into ``b``'s, to run after migra's statements.

    With ``privileges``, only the GRANT / REVOKE statements (fixups.privileges) instead:
    postprocess asks for them when privileges are compared, and runs them after everything
    else. Privilege facts are read either way, so a cached inspection serves both modes."""
    stale = [
        label for label, side in (("from", a), ("to", b)) if _facts_version(side) != FACTS_VERSION
    ]
    if stale:
        if privileges:
            return []  # the call for the other blind spots reports it
        # Comparing against missing facts would report differences as in sync.
        return [
            refusal(
                f"the {' and '.join(stale)} inspection lacks diffcheck's catalog facts "
                f"(format {FACTS_VERSION}); clear diffcheck's cache and compare again"
            )
        ]
    touched = Touched(a, b)
    out: list[str] = []
    for module in _MODULES:
        if (module is bs_privileges) == privileges:
            out += module.statements(a, b, touched)
    return out


def fix_migra(statements: list[str], a: Any, b: Any) -> list[str]:
    """migra's statements, corrected where they mishandle a blind spot (see bs_migra)."""
    return bs_migra.fix(statements, a, b)
