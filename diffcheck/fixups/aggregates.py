"""Routines schemainspect does not read, so migra never creates or drops them: user-defined
aggregates (a view calling one then fails: "function group_concat(text) does not exist") and
functions written in C or internal (wrappers over an extension's symbols). Facts come from
:mod:`diffcheck.catalog`; :mod:`diffcheck.fixups.ordering` places the statements (after what
they use, before their callers)."""

from __future__ import annotations

from typing import Any

from ..catalog import Aggregate, Catalog
from .common import refusal

_PARALLEL = {"s": "safe", "r": "restricted", "u": "unsafe"}


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def create_statement(agg: Aggregate) -> str:
    """CREATE AGGREGATE for the supported (plain, non-moving) aggregates."""
    parts = [f"sfunc = {agg.sfunc}", f"stype = {agg.stype}"]
    if agg.finalfunc:
        parts.append(f"finalfunc = {agg.finalfunc}")
        if agg.finalextra:
            parts.append("finalfunc_extra")
    if agg.combinefunc:
        parts.append(f"combinefunc = {agg.combinefunc}")
    if agg.initcond is not None:
        parts.append(f"initcond = {_literal(agg.initcond)}")
    if agg.sortop:
        parts.append(f"sortop = operator({agg.sortop.split('(')[0]})")
    if agg.parallel in _PARALLEL and agg.parallel != "u":
        parts.append(f"parallel = {_PARALLEL[agg.parallel]}")
    return f"create aggregate {agg.signature} ({', '.join(parts)});"


def _catalog(inspector: Any) -> Catalog:
    cat = getattr(inspector, "diffcheck_catalog", None)
    return cat if isinstance(cat, Catalog) else Catalog()


def statements(a: Any, b: Any) -> list[str]:
    """CREATE / DROP AGGREGATE turning ``a``'s aggregates into ``b``'s."""
    aa, ab = _catalog(a).aggregates, _catalog(b).aggregates
    out: list[str] = []
    for sig, agg in ab.items():
        old = aa.get(sig)
        if old == agg:
            continue
        if agg.unsupported:
            out.append(
                refusal(
                    f"aggregate {sig} uses moving-aggregate, serial or ordered-set support, "
                    "which diffcheck cannot re-create; create it by hand"
                )
            )
            continue
        if old is not None:
            out.append(f"drop aggregate {sig};")
        out.append(create_statement(agg))
    for sig in aa:
        if sig not in ab:
            out.append(f"drop aggregate {sig};")
    return out + _external(a, b)


def _external(a: Any, b: Any) -> list[str]:
    """CREATE [OR REPLACE] / DROP for C and internal functions."""
    fa, fb = _catalog(a).external_functions, _catalog(b).external_functions
    out: list[str] = []
    for sig, (_kind, definition) in fb.items():
        if fa.get(sig, (None, None))[1] != definition:
            out.append(definition.rstrip().rstrip(";") + ";")
    for sig, (kind, _definition) in fa.items():
        if sig not in fb:
            out.append(f"drop {kind} {sig};")
    return out
