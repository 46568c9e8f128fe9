"""Corrections to statements migra gets wrong around the blind spots.

- A CHECK or FOREIGN KEY that is NOT VALID in the desired schema: migra adds it with
  ``... NOT VALID not valid`` and then VALIDATEs it, which fails on the very rows NOT VALID
  exists to tolerate, and never leaves the constraint NOT VALID. The VALIDATE is removed.
- A constraint NOT VALID in live and validated in the desired schema: migra drops it, adds it
  NOT VALID and validates; ``validate constraint`` alone does the same without a window in
  which the constraint is missing.
- An index that differs only in CLUSTER ON: migra drops and re-creates it (schemainspect
  compares ``indisclustered``); the CLUSTER ON statement is enough.
- A partition's index that stands alone in live and is attached in the desired schema (where
  diffcheck hides it): migra drops it; attaching it in place keeps the built index.
- A partition's index attached in live (hidden) and standalone in the desired schema: migra
  creates it again, which fails; the refusal in bs_indexes says why instead.
- An identity column becoming a serial (or plain) column: migra creates the new sequence and
  sets the default before it drops the identity, which fails twice (the identity sequence
  still holds the name, and an identity column cannot have a default). DROP IDENTITY goes
  first; it depends on nothing else in the plan."""

from __future__ import annotations

import re
from typing import Any

_NOT_VALID = " NOT VALID"
_DROP_IDENTITY = re.compile(r"^alter table \S+ alter column .+ drop identity;$", re.IGNORECASE)


def _index_same_but_cluster(ia: Any, ib: Any) -> bool:
    fields = (
        "definition",
        "key_columns",
        "included_columns",
        "key_options",
        "num_att",
        "is_unique",
        "is_pk",
        "is_exclusion",
        "is_immediate",
        "key_expressions",
        "partial_predicate",
        "algorithm",
    )
    return ia.is_clustered != ib.is_clustered and all(
        getattr(ia, f) == getattr(ib, f) for f in fields
    )


def _unwanted(a: Any, b: Any) -> tuple[set[str], dict[str, str]]:
    """Statements to remove, and statements to replace (text -> replacement)."""
    remove: set[str] = set()
    replace: dict[str, str] = {}
    for key, cb in b.constraints.items():
        definition = cb.definition or ""
        validate = getattr(cb, "validate_statement", None)
        if not validate:
            continue
        if definition.upper().endswith(_NOT_VALID):
            remove.add(validate)
            doubled = cb.get_create_statement(set_not_valid=True)
            replace[doubled] = cb.get_create_statement(set_not_valid=False)
            continue
        ca = a.constraints.get(key)
        if ca is not None and (ca.definition or "") == definition + _NOT_VALID:
            remove.add(ca.drop_statement)
            remove.add(cb.get_create_statement(set_not_valid=True))
    for key, ib in b.indexes.items():
        ia = a.indexes.get(key)
        if ia is not None and _index_same_but_cluster(ia, ib):
            remove.add(ia.drop_statement)
            remove.add(ib.create_statement)
    fa = getattr(a, "diffcheck_facts", None) or {}
    fb = getattr(b, "diffcheck_facts", None) or {}
    attached_a = set(fa.get("index_attachments", {}).values())
    attached_b = set(fb.get("index_attachments", {}).values())
    idx_a, idx_b = fa.get("indexes", {}), fb.get("indexes", {})
    for key, ia in a.indexes.items():
        name = (ia.schema, ia.name)
        if key in b.indexes or name not in attached_b or name in attached_a:
            continue
        fact_a, fact_b = idx_a.get(name), idx_b.get(name)
        if fact_a is not None and fact_b is not None and fact_a.definition == fact_b.definition:
            remove.add(ia.drop_statement)
    for key, ib in b.indexes.items():
        if key not in a.indexes and (ib.schema, ib.name) in attached_a:
            remove.add(ib.create_statement)
    return remove, replace


def fix(statements: list[str], a: Any, b: Any) -> list[str]:
    """migra's statements with the corrections above applied."""
    remove, replace = _unwanted(a, b)
    first: list[str] = []
    out: list[str] = []
    for s in statements:
        text = s.strip()
        if text in remove:
            continue
        (first if _DROP_IDENTITY.match(text) else out).append(replace.get(text, s))
    return first + out
