"""Functions no untrusted SQL may call, found anywhere in a statement's pglast JSON tree.

Shared by the sandbox's two modes: a schema file (where the build evaluates expressions) and
a plan (every statement, DML included, since a plan's statements run on a clone)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Node = dict[str, Any]

# They reach other databases, files, processes or the server itself.
_DENIED_PREFIXES = tuple(
    """
    dblink lo_ pg_read_ pg_write_ pg_file_ pg_ls_ pg_advisory pg_sleep pg_create_
    pg_drop_replication_slot pg_copy_ pg_replication_ pg_logical_ pg_backup_ pg_wal_replay_
    pg_log_ binary_upgrade_ query_to_xml cursor_to_xml table_to_xml schema_to_xml
    database_to_xml
    """.split()
)
_DENIED = frozenset(
    """
    pg_terminate_backend pg_cancel_backend pg_signal_backend pg_reload_conf pg_rotate_logfile
    pg_stat_file pg_promote pg_switch_wal pg_start_backup pg_stop_backup
    pg_import_system_collations ts_stat pg_stat_reset pg_stat_reset_shared
    """.split()
)


def walk(value: Any) -> Iterator[tuple[str, Node]]:
    """Every ``(type name, fields)`` node below ``value`` (dicts and lists of pglast's JSON)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if len(item) == 1:
                ((key, body),) = item.items()
                if key[:1].isupper() and isinstance(body, dict):
                    yield key, body
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def names(items: list[Node] | None) -> list[str]:
    """The strings of a name list (``funcname``, ``names``)."""
    return [n["String"]["sval"] for n in items or () if "String" in n]


def denied(name: str) -> bool:
    """Is ``name`` (unqualified) a function no untrusted SQL may call?"""
    return name in _DENIED or name.startswith(_DENIED_PREFIXES)


def denied_call(tree: Any) -> str | None:
    """ "a call of X" for the first refused function anywhere below ``tree``."""
    for kind, body in walk(tree):
        if kind == "FuncCall":
            called = names(body.get("funcname"))
            if called and denied(called[-1]):
                return f"a call of {'.'.join(called)}"
    return None
