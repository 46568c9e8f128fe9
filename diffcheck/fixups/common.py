"""Helpers shared by the fixups."""

from __future__ import annotations


def _tag(base: str, text: str) -> str:
    tag = base
    while f"${tag}$" in text:
        tag += "_"
    return tag


def refusal(reason: str) -> str:
    """A statement that always fails with ``reason``: a difference diffcheck reports but will
    not migrate. The reason is a dollar-quoted argument (never pasted into a format string),
    with tags chosen so they cannot occur in it."""
    inner = _tag("reason", reason)
    outer = _tag("refusal", reason + inner)
    return (
        f"do ${outer}$ begin raise exception 'diffcheck refuses: %', "
        f"${inner}${reason}${inner}$; end ${outer}$;"
    )
