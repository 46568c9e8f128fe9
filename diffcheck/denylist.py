"""Functions no untrusted SQL may call, found anywhere in a statement's pglast JSON tree, and
the settings it may not change because they change how text is split into statements.

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


# Settings that change how the server (or psql) splits text into statements: the sandbox
# reads a file with PostgreSQL's scanner, as UTF-8 with standard_conforming_strings on. With
# them off, or in a client-only encoding whose multibyte characters hide a quote or backslash,
# a string the sandbox saw could end elsewhere and a statement it never saw would run.
_CLIENT_ONLY = frozenset(
    """
    big5 gb18030 gbk johab sjis shiftjis shiftjis2004 mskanji uhc win932 windows932 win936
    windows936 win949 windows949 win950 windows950
    """.split()
)


def setting_value(node: Node | None) -> str | None:
    """A setting's value as text (a string, number or boolean constant), or None."""
    if node is None:
        return None
    ((kind, body),) = node.items()
    if kind != "A_Const":
        return None
    for key in ("sval", "ival", "boolval", "fval"):
        if key in body:
            return str(next(iter(body[key].values()), ""))
    return None


def lexing_refusal(name: str, value: str | None) -> str | None:
    """A setting of one of the two that change how statements are split, or None."""
    if name == "standard_conforming_strings":
        if (value or "").lower() not in ("on", "true", "yes", "1"):
            return "SET standard_conforming_strings = off"
    elif name == "client_encoding":
        if value is None or "".join(c for c in value.lower() if c.isalnum()) in _CLIENT_ONLY:
            return f"SET client_encoding = {value}"
    return None
