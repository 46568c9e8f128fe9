"""Enum rebuilds: a label removed or reordered makes migra rename the type, create the new
one, re-type each column with ``USING col::text::new`` and drop the old type. Two gaps:

* array columns of the enum are not re-typed, so dropping the old type fails: they get
  ``USING col::text[]::new[]`` (with their default dropped and re-set around it);
* the column name in migra's re-typing statement is not quoted (``"Status"`` becomes
  ``status``): schemainspect's statement builder is patched to quote it.

Views over re-typed columns are rebuilt by :mod:`diffcheck.fixups.ordering`. Values that no
longer exist make the cast fail on live data: the apply then fails and rolls back."""

from __future__ import annotations

from typing import Any

import pglast
from pglast import ast, enums
from pglast.parser import ParseError
from schemainspect.misc import quoted_identifier  # type: ignore[import-untyped]

OLD_SUFFIX = "__old_version_to_be_dropped"  # migra's name for the type being replaced


def _patch_change_enum_statement() -> None:
    from schemainspect.inspected import ColumnInfo  # type: ignore[import-untyped]

    def change_enum_statement(self: Any, table_name: str) -> str:
        if not self.is_enum:
            raise ValueError
        name, enum = self.quoted_name, self.enum.quoted_full_name
        return (
            f"alter table {table_name} alter column {name} type {enum} using {name}::text::{enum};"
        )

    ColumnInfo.change_enum_statement = change_enum_statement


_patch_change_enum_statement()


def _rebuilt(statements: list[str]) -> dict[tuple[str, str], int]:
    """(schema, enum) -> index of migra's ``drop type <enum>__old...`` statement."""
    out: dict[tuple[str, str], int] = {}
    for i, text in enumerate(statements):
        try:
            parsed = pglast.parse_sql(text)
        except ParseError:
            continue
        for raw in parsed:
            node = raw.stmt
            if not (
                isinstance(node, ast.DropStmt) and node.removeType == enums.ObjectType.OBJECT_TYPE
            ):
                continue
            for obj in node.objects or ():
                names = [n.sval for n in obj.names or ()] if isinstance(obj, ast.TypeName) else []
                if len(names) == 2 and names[1].endswith(OLD_SUFFIX):
                    out[(names[0], names[1][: -len(OLD_SUFFIX)])] = i
    return out


def _array_retypes(a: Any, b: Any, schema: str, name: str) -> list[str]:
    key = quoted_identifier(name, schema)
    enum = b.enums.get(key)
    if enum is None:
        return []
    out: list[str] = []
    target = ("type", schema, None, name)
    for dep, ref, _ in a.diffcheck_catalog.depends:
        if ref != target or dep[0] != "column" or dep[2] is None:
            continue
        tkey = quoted_identifier(dep[2], dep[1])
        ta, tb = a.tables.get(tkey), b.tables.get(tkey)
        if ta is None or tb is None:
            continue
        ca, cb = ta.columns.get(dep[3]), tb.columns.get(dep[3])
        if ca is None or cb is None or cb.is_enum or not str(cb.dbtypestr).endswith("[]"):
            continue
        col = cb.quoted_name
        new_type = enum.quoted_full_name + "[]"
        if ca.default:
            out.append(f"alter table {tkey} alter column {col} drop default;")
        using = f"{col}::text[]::{new_type}"
        out.append(f"alter table {tkey} alter column {col} type {new_type} using {using};")
        if cb.default:
            out.append(f"alter table {tkey} alter column {col} set default {cb.default};")
    return out


def fix(statements: list[str], a: Any, b: Any) -> list[str]:
    """Re-type array columns of rebuilt enums before the old type is dropped."""
    if not hasattr(a, "diffcheck_catalog"):
        return statements
    rebuilt = _rebuilt(statements)
    if not rebuilt:
        return statements
    inserts: dict[int, list[str]] = {}
    for (schema, name), i in rebuilt.items():
        inserts.setdefault(i, []).extend(_array_retypes(a, b, schema, name))
    out: list[str] = []
    for i, text in enumerate(statements):
        out += inserts.get(i, [])
        out.append(text)
    return out
