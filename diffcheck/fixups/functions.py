"""Functions and procedures: compare everything PostgreSQL would dump, not just the body.

schemainspect's ``InspectedFunction.__eq__`` compares the signature (names and types of the
identity arguments), result type, body (``prosrc``), language, volatility, strictness and
security. It ignores argument DEFAULTs, ``SET`` configuration (``search_path``!), LEAKPROOF,
PARALLEL, COST, ROWS, SUPPORT, TRANSFORM, OUT arguments, and the whole body of a SQL-standard
function (``BEGIN ATOMIC``), whose ``prosrc`` is empty. Any of those differing was reported as
"in sync".

``pg_get_functiondef`` deparses all of them, so two functions are equal only if their
deparses are equal too; migra then drops and re-creates the function from the desired
deparse (its create statement is that deparse). The deparse is stable under that round trip
for everything except SQL-standard bodies, which :mod:`diffcheck.normalize` compares by their
round-trip fixpoint."""

from __future__ import annotations

from typing import Any


def _patch_function_equality() -> None:
    from schemainspect.pg.obj import InspectedFunction  # type: ignore[import-untyped]

    original = InspectedFunction.__eq__
    if getattr(original, "_diffcheck", False):
        return

    def __eq__(self: Any, other: Any) -> bool:
        if not original(self, other):
            return False
        return bool(
            getattr(self, "full_definition", None) == getattr(other, "full_definition", None)
        )

    __eq__._diffcheck = True  # type: ignore[attr-defined]
    # Assigned after class creation, so the class keeps its __hash__ (only an __eq__ in the
    # class body resets it).
    InspectedFunction.__eq__ = __eq__


_patch_function_equality()
