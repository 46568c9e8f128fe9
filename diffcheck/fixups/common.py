"""Helpers shared by the fixups."""

from __future__ import annotations


def refusal(reason: str) -> str:
    """A statement that always fails with ``reason``: a difference diffcheck reports but will
    not migrate. Dollar-quoted with a tag that cannot occur in the reason."""
    tag = "diffcheck"
    while f"${tag}$" in reason:
        tag += "_"
    text = reason.replace("%", "%%")
    return (
        f"do ${tag}$ begin raise exception 'diffcheck refuses: %', "
        f"${tag}${text}${tag}$; end ${tag}$;"
    )
