"""``diffcheck pull`` for hand-written schema directories.

The engine diffs the desired files against live, giving the statements that turn the files'
schema into live's. Each statement is placed in the file that owns its object, found by
parsing every file with pglast:

* an ALTER, index, trigger, policy, rule or comment on a relation goes at the end of the
  file that creates the relation;
* a CREATE OR REPLACE of an existing view or function replaces that statement in place;
* a DROP removes the object's CREATE (and, for a relation, the statements on it); a CREATE
  that follows a DROP of the same object takes the dropped statement's place;
* a new object goes at the end of the last file that creates something in its schema;
* anything else goes at the end of the last file.

The result is then checked against live; when it does not match, every file is restored and
pull fails, naming the command that shows the statements to place by hand."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pglast
from pglast import ast, enums
from pglast import parser as scanner
from pglast.parser import ParseError

from . import commands
from . import dsn as dsnlib
from .config import Settings
from .errors import DiffcheckError, SchemaLoadError

Key = tuple[str, str, str]  # (kind, schema, name)
APPENDED = "-- Pulled from live by diffcheck pull:"


@dataclass
class _File:
    rel: str
    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)  # statement spans, with ';'
    replaced: dict[int, str] = field(default_factory=dict)  # span index -> new text ('' drops)
    appended: list[str] = field(default_factory=list)

    def render(self) -> str:
        if not self.replaced and not self.appended:
            return self.text
        out, pos = [], 0
        for k, (start, end) in enumerate(self.spans):
            if k not in self.replaced:
                continue
            new = self.replaced[k]
            if not new:  # dropping: take the rest of the line too when it is blank
                eol = self.text.find("\n", end)
                if eol >= 0 and not self.text[end:eol].strip():
                    end = eol + 1
            out.append(self.text[pos:start] + new)
            pos = end
        out.append(self.text[pos:])
        text = "".join(out)
        if self.appended:
            text = text.rstrip("\n") + "\n\n" + APPENDED + "\n" + "\n\n".join(self.appended) + "\n"
        return text


def _names(items: Any) -> list[str]:
    return [str(getattr(i, "sval", "")) for i in items or ()]


def _qualify(names: list[str], schema: str) -> tuple[str, str]:
    if len(names) >= 2:
        return names[-2], names[-1]
    return schema, names[-1] if names else ""


def _rel(rv: Any, schema: str) -> tuple[str, str]:
    return (rv.schemaname or schema, rv.relname)


def _creates(node: Any, schema: str) -> Key | None:
    """The object a CREATE statement defines."""
    # Attributes are read with getattr: pglast types them Optional, but a parsed CREATE
    # always has them.
    kind = type(node).__name__
    if kind == "CreateStmt":
        return ("relation", *_rel(node.relation, schema))
    if kind == "CreateForeignTableStmt":
        return ("relation", *_rel(getattr(node.base, "relation", None), schema))
    if kind == "ViewStmt":
        return ("relation", *_rel(node.view, schema))
    if kind == "CreateTableAsStmt":
        return ("relation", *_rel(getattr(node.into, "rel", None), schema))
    if kind == "CreateSeqStmt":
        return ("relation", *_rel(node.sequence, schema))
    if kind == "IndexStmt" and node.idxname:
        return ("relation", getattr(node.relation, "schemaname", None) or schema, node.idxname)
    if kind == "CreateFunctionStmt":
        return ("function", *_qualify(_names(node.funcname), schema))
    if kind == "CreateEnumStmt":
        return ("type", *_qualify(_names(node.typeName), schema))
    if kind == "CreateDomainStmt":
        return ("type", *_qualify(_names(node.domainname), schema))
    if kind == "CompositeTypeStmt":
        return ("type", *_rel(node.typevar, schema))
    return None


def _on_relation(node: Any, schema: str) -> tuple[str, str] | None:
    """The relation a statement alters or hangs something on."""
    for attr in ("relation", "table"):
        rv = getattr(node, attr, None)
        if isinstance(rv, ast.RangeVar) and not isinstance(node, ast.CreateStmt):
            return _rel(rv, schema)
    if isinstance(node, ast.AlterSeqStmt):
        return _rel(node.sequence, schema)
    if isinstance(node, ast.CommentStmt) and node.objtype in (
        enums.ObjectType.OBJECT_TABLE,
        enums.ObjectType.OBJECT_VIEW,
        enums.ObjectType.OBJECT_MATVIEW,
        enums.ObjectType.OBJECT_SEQUENCE,
        enums.ObjectType.OBJECT_INDEX,
        enums.ObjectType.OBJECT_COLUMN,
    ):
        names = _names(node.object)
        if node.objtype == enums.ObjectType.OBJECT_COLUMN:
            names = names[:-1]
        return _qualify(names, schema)
    return None


def _dropped(node: Any, schema: str) -> list[Key]:
    if not isinstance(node, ast.DropStmt):
        return []
    kinds: dict[Any, str] = {
        enums.ObjectType.OBJECT_TABLE: "relation",
        enums.ObjectType.OBJECT_VIEW: "relation",
        enums.ObjectType.OBJECT_MATVIEW: "relation",
        enums.ObjectType.OBJECT_SEQUENCE: "relation",
        enums.ObjectType.OBJECT_INDEX: "relation",
        enums.ObjectType.OBJECT_FOREIGN_TABLE: "relation",
        enums.ObjectType.OBJECT_FUNCTION: "function",
        enums.ObjectType.OBJECT_PROCEDURE: "function",
        enums.ObjectType.OBJECT_TYPE: "type",
        enums.ObjectType.OBJECT_DOMAIN: "type",
    }
    kind = kinds.get(node.removeType)
    if kind is None:
        return []
    out: list[Key] = []
    for obj in node.objects or ():
        if isinstance(obj, ast.ObjectWithArgs):
            names = _names(obj.objname)
        elif isinstance(obj, ast.TypeName):
            names = _names(obj.names)
        else:
            names = _names(obj)
        out.append((kind, *_qualify(names, schema)))
    return out


def _search_path_head(node: Any) -> str | None:
    if isinstance(node, ast.VariableSetStmt) and node.name == "search_path" and node.args:
        first = node.args[0]
        val = getattr(first, "val", None)
        return str(getattr(val, "sval", "")) or None
    return None


class _Index:
    """Every statement of every file, by the object it creates and the relation it is on."""

    def __init__(self, files: list[_File]) -> None:
        self.files = files
        self.creates: dict[Key, list[tuple[_File, int]]] = {}
        self.on: dict[tuple[str, str], list[tuple[_File, int]]] = {}
        self.schema_last: dict[str, _File] = {}
        self.added: dict[Key, _File] = {}  # objects pull appends, for what follows them
        for f in files:
            self._read(f)

    def _read(self, f: _File) -> None:
        try:
            slices = scanner.split(f.text, with_parser=True, only_slices=True)
        except ParseError as exc:
            raise SchemaLoadError(str(exc.args[0]), path=f.rel) from None
        schema = "public"
        for sl in slices:
            end = sl.stop
            semi = f.text.find(";", end)
            if semi >= 0 and not f.text[end:semi].strip():
                end = semi + 1
            f.spans.append((sl.start, end))
            k = len(f.spans) - 1
            node = pglast.parse_sql(f.text[sl])[0].stmt
            schema = _search_path_head(node) or schema
            key = _creates(node, schema)
            if key is not None:
                self.creates.setdefault(key, []).append((f, k))
                if not isinstance(node, ast.IndexStmt):  # new objects go with objects
                    self.schema_last[key[1]] = f
            rel = _on_relation(node, schema)
            if rel is not None:
                self.on.setdefault(rel, []).append((f, k))

    def owner(self, rel: tuple[str, str]) -> _File | None:
        """The one file that creates a relation (or that pull just added it to)."""
        key: Key = ("relation", *rel)
        found = self.creates.get(key)
        if found and len(found) == 1:
            return found[0][0]
        return self.added.get(key)


def place(files: list[_File], statements: list[str]) -> None:
    """Put each statement where it belongs (see the module docstring)."""
    index = _Index(files)
    last = files[-1]
    vacated: dict[Key, tuple[_File, int]] = {}
    parsed = []
    for raw in statements:
        sql = raw.strip().rstrip(";").strip() + ";"
        parsed.append((sql, pglast.parse_sql(sql)[0].stmt))
    # Relations this batch drops whose CREATE is in the files: statements that only tidy
    # them up first (dropping their constraints and indexes) have nothing left to change.
    gone = {
        (key[1], key[2])
        for _, node in parsed
        for key in _dropped(node, "public")
        if key[0] == "relation" and len(index.creates.get(key, [])) == 1
    }
    for sql, node in parsed:
        drops = _dropped(node, "public")
        if not drops and _on_relation(node, "public") in gone:
            continue
        if drops:
            if (
                all(
                    k[0] == "relation" and (k[1], k[2]) not in gone and k not in index.creates
                    for k in drops
                )
                and getattr(node, "removeType", None) == enums.ObjectType.OBJECT_INDEX
            ):
                # An index no file creates (one behind a constraint): nothing to remove.
                continue
            done = False
            for dropped in drops:
                found = index.creates.get(dropped, [])
                if len(found) == 1:
                    f, k = found[0]
                    f.replaced[k] = ""
                    vacated[dropped] = (f, k)
                    done = True
                    if dropped[0] == "relation":
                        for g, j in index.on.get((dropped[1], dropped[2]), []):
                            g.replaced[j] = ""
            if not done:
                last.appended.append(sql)
            continue
        key = _creates(node, "public")
        if key is not None:
            found = index.creates.get(key, [])
            if key in vacated:
                f, k = vacated.pop(key)
                f.replaced[k] = sql
                continue
            if len(found) == 1 and isinstance(node, ast.ViewStmt | ast.CreateFunctionStmt):
                f, k = found[0]
                f.replaced[k] = sql  # CREATE OR REPLACE of an existing object: in place
                continue
            if not isinstance(node, ast.IndexStmt):
                target = index.schema_last.get(key[1], last)
                target.appended.append(sql)
                index.added[key] = target
                continue
        rel = _on_relation(node, "public")
        owner = index.owner(rel) if rel is not None else None
        (owner or last).appended.append(sql)


@dataclass
class PullResult:
    """What ``pull`` changed."""

    desired: Path
    mode: str  # "generated" (files written by init) or "hand-written"
    changed: list[str]  # relative paths rewritten or created
    removed: list[str]
    diff: str  # unified diff of every change, relative to the desired directory
    statements: list[str] = field(default_factory=list)  # hand-written mode: what was placed
    elapsed: float = 0.0

    @property
    def nothing_to_do(self) -> bool:
        """True when schema/ already matched live."""
        return not self.changed and not self.removed


def _unified(root_label: str, rel: str, old: str | None, new: str | None) -> str:
    a = f"a/{root_label}/{rel}" if old is not None else "/dev/null"
    b = f"b/{root_label}/{rel}" if new is not None else "/dev/null"
    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True), a, b
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def diff_text(label: str, before: dict[str, str | None], after: dict[str, str | None]) -> str:
    """A unified diff of changed files (None: absent), paths shown as ``label/rel``."""
    return "".join(_unified(label, rel, before[rel], after[rel]) for rel in sorted(before))


def pull_hand_written(
    settings: Settings,
    root: Path,
    base: Path,
    old: dict[str, str],
    spec: str,
    say: Callable[[str], None],
) -> PullResult:
    """Place live's differences into hand-written files (``old``: path relative to ``base``
    -> text), check the result against live, or restore the files and fail."""
    assert settings.live
    live = dsnlib.normalize(settings.live)
    say("diffing the desired files against live")
    result = commands.diff(settings, spec, live, say)
    if result.in_sync:
        return PullResult(desired=root, mode="hand-written", changed=[], removed=[], diff="")
    files = [_File(rel, text) for rel, text in old.items()]
    place(files, result.statements)
    new = {f.rel: f.render() for f in files}
    changed = [rel for rel in new if new[rel] != old[rel]]
    for rel in changed:
        (base / rel).write_text(new[rel], encoding="utf-8")

    def restore() -> None:
        for rel in changed:
            (base / rel).write_text(old[rel], encoding="utf-8")

    say("checking the updated files against live")
    try:
        verdict = commands.check(settings, say)
        problem = None if verdict.in_sync else f"{len(verdict.statements)} difference(s) remain"
    except SchemaLoadError as exc:
        problem = str(exc)
    except BaseException:  # any other failure (or Ctrl-C): leave the files as they were
        restore()
        raise
    if problem is not None:
        restore()
        raise DiffcheckError(
            f"pull could not place live's changes in {spec} by itself ({problem}); "
            f"the files are unchanged",
            hint=f"see the statements with `diffcheck diff {spec} LIVE_URL` and add them by hand",
        )
    before = {rel: old[rel] for rel in changed}
    after = {rel: new[rel] for rel in changed}
    return PullResult(
        desired=root,
        mode="hand-written",
        changed=changed,
        removed=[],
        diff=diff_text(spec.rstrip("/"), dict(before), dict(after)),
        statements=list(result.statements),
    )
