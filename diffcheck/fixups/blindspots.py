"""Differences migra does not see (placeholder: filled in by the correctness work)."""

from __future__ import annotations

from typing import Any


def read_facts(cur: Any, filters: Any) -> dict[str, Any]:
    """Extra catalog facts; none yet."""
    return {}


def statements(a: Any, b: Any) -> list[str]:
    """SQL for blind-spot differences; none yet."""
    return []
