"""SQL made stable under PostgreSQL's deparse round trip.

PostgreSQL does not always parse its own deparse back into the same tree. The case that
matters: ``status IN ('a', 'b')`` on a varchar column is stored as a RelabelType of an
ArrayExpr of varchar constants, and deparsed as::

    (status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])

Parsing that text again, PostgreSQL pushes the ``::text[]`` cast *into* the ARRAY
constructor (``ARRAY[('a'::character varying)::text, ...]``): a different tree and a
different deparse. Everything diffcheck creates from a deparse (migra's CHECK, view,
function and policy statements, the pg_dump scripts it restores into scratch clones) would
then end up textually different from a schema built from the user's source: pg_dump output
differs, and a fingerprint taken of the restored copy is not the fingerprint of the real one.

The cure is exact: an ARRAY constructor under a cast is first cast to its own element type,
``((ARRAY[...])::character varying[])::text[]``. The inner cast is a no-op (the elements
already have that type), so PostgreSQL keeps the ArrayExpr intact and applies the outer cast
as a RelabelType, which is the original tree.

The second case: in a set operation's branches other than the leftmost, column names are
invisible, so PostgreSQL prints no alias for an expression whose name is ``?column?``
(``SELECT x, NULL FROM b`` inside a UNION deparses as ``NULL::integer``). Parsed again, that
expression is named after its type (``int4``) and deparses as ``NULL::integer AS int4``.
Such targets get the name they had, ``AS "?column?"``, which PostgreSQL does not print.

Statements are changed by splicing those few characters at positions pglast's parser and
scanner report; the rest of the text, its formatting and its comments are left byte for byte
as they were."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast, parse_sql
from pglast.parser import ParseError, scan
from pglast.stream import RawStream
from pglast.visitors import Visitor

# Cheap pre-filters: only text containing an ARRAY constructor or a set operation can need
# protection, and parsing every statement of a large dump would cost more than the restore.
_MARKERS = ("array[", "union", "intersect", "except")
_UNNAMED = ' AS "?column?"'
# Tokens that end a target list entry at nesting depth 0.
_TARGET_END = frozenset(
    {
        "ASCII_44",  # ,
        "ASCII_59",  # ;
        "FROM",
        "WHERE",
        "GROUP_P",
        "HAVING",
        "WINDOW",
        "ORDER",
        "LIMIT",
        "OFFSET",
        "UNION",
        "INTERSECT",
        "EXCEPT",
        "INTO",
        "FETCH",
        "FOR",
    }
)
_OPEN = frozenset({"ASCII_40", "ASCII_91"})  # ( [
_CLOSE = frozenset({"ASCII_41", "ASCII_93"})  # ) ]


def _candidate(text: str) -> bool:
    lowered = text.lower().replace(" ", "")
    return any(m in lowered for m in _MARKERS)


class _Casts(Visitor):  # type: ignore[misc]
    """Collect (ARRAY location, element type SQL) for every ARRAY constructor whose outer
    cast PostgreSQL would push into its elements on re-parse."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int, str]] = []
        self.unnamed: list[int] = []  # locations of targets to name "?column?"
        self._seen: set[int] = set()

    def visit_SelectStmt(self, _ancestors: object, node: ast.SelectStmt) -> None:
        if id(node) in self._seen or not _is_setop(node):
            return
        for leaf, leftmost in _leaves(node, True, self._seen):
            if leftmost:
                continue
            for target in leaf.targetList or ():
                if (
                    isinstance(target, ast.ResTarget)
                    and target.name is None
                    and not isinstance(target.val, ast.ColumnRef)
                    and target.location is not None
                    and target.location >= 0
                ):
                    self.unnamed.append(target.location)

    def visit_TypeCast(self, _ancestors: object, node: ast.TypeCast) -> None:
        arg = node.arg
        if not isinstance(arg, ast.A_ArrayExpr) or not arg.elements:
            return
        if not node.typeName or not node.typeName.arrayBounds:
            return
        element = _common_element_type(arg.elements)
        if element is None or arg.location is None or arg.location < 0:
            return
        if _type_sql(node.typeName) == element + "[]":
            return  # the outer cast is already the element type's array: nothing moves
        self.found.append((arg.location, element))


def _is_setop(node: ast.SelectStmt) -> bool:
    return node.larg is not None and node.rarg is not None


def _leaves(
    node: ast.SelectStmt, leftmost: bool, seen: set[int]
) -> Iterator[tuple[ast.SelectStmt, bool]]:
    """The plain SELECT branches of a set operation, each with whether it is the leftmost."""
    seen.add(id(node))
    if node.larg is None or node.rarg is None:
        yield node, leftmost
        return
    yield from _leaves(node.larg, leftmost, seen)
    yield from _leaves(node.rarg, False, seen)


def _target_end(text: str, start: int) -> int | None:
    """Index just past the target list entry (expression) starting at ``start``."""
    depth = 0
    last_end: int | None = None
    for token in scan(text[start:]):
        if depth == 0 and (token.name in _TARGET_END or token.name in _CLOSE):
            return last_end
        if token.name in _OPEN:
            depth += 1
        elif token.name in _CLOSE:
            depth -= 1
        last_end = start + token.end + 1
    return last_end


def _type_sql(type_name: ast.TypeName) -> str:
    return str(RawStream()(type_name))


def _common_element_type(elements: tuple[object, ...]) -> str | None:
    """The type every element is cast to, as SQL, if they all carry the same explicit cast."""
    types = set()
    for element in elements:
        if not isinstance(element, ast.TypeCast) or element.typeName is None:
            return None
        if element.typeName.arrayBounds:
            return None  # nested arrays: leave them alone
        types.add(_type_sql(element.typeName))
    return types.pop() if len(types) == 1 else None


def _bracket_end(text: str, start: int) -> int | None:
    """Index just past the ``]`` closing the ARRAY constructor that starts at ``start``."""
    depth = 0
    for token in scan(text[start:]):
        if token.name == "ASCII_91":  # [
            depth += 1
        elif token.name == "ASCII_93":  # ]
            depth -= 1
            if depth == 0:
                return start + token.end + 1
    return None


def protect(statement: str) -> str:
    """``statement`` with every unstable ARRAY cast protected (unchanged if none, or if the
    text does not parse: PostgreSQL will then report the error itself)."""
    if not _candidate(statement):
        return statement
    try:
        tree = parse_sql(statement)
    except ParseError:
        return statement
    visitor = _Casts()
    for raw in tree:
        visitor(raw)
    if not visitor.found and not visitor.unnamed:
        return statement
    # Every edit as (position, kind, data), applied right to left so that earlier positions
    # stay valid. An alias goes after its whole expression, so its insertion point is
    # computed first, on the original text, and is never inside a cast's constructor.
    edits: list[tuple[int, str, str]] = []
    for location in visitor.unnamed:
        end = _target_end(statement, location)
        if end is None:
            return statement
        edits.append((end, "alias", ""))
    for location, element in visitor.found:
        edits.append((location, "cast", element))
    text = statement
    for position, kind, element in sorted(edits, reverse=True):
        if kind == "alias":
            text = text[:position] + _UNNAMED + text[position:]
            continue
        end = _bracket_end(text, position)
        if end is None:
            return statement
        text = f"{text[:position]}({text[position:end]})::{element}[]{text[end:]}"
    return text


def _statements(script: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each SQL statement of a pg_dump script, split by the schema loader
    (which blanks pg_dump's psql meta-command lines, keeping positions). A script it refuses
    yields nothing: it is then restored unchanged, and psql reports what is wrong."""
    # Imported here: the loader imports pg, which imports this module.
    from .errors import SchemaLoadError
    from .loader import split

    try:
        _, statements = split(script, "<dump>")
    except SchemaLoadError:
        return
    for statement in statements:
        yield statement.offset, statement.offset + len(statement.text)


def protect_script(script: str) -> str:
    """A pg_dump script with :func:`protect` applied to every statement that needs it."""
    if not _candidate(script):
        return script
    out: list[str] = []
    last = 0
    for start, end in _statements(script):
        chunk = script[start:end]
        fixed = protect(chunk)
        if fixed != chunk:
            out.append(script[last:start])
            out.append(fixed)
            last = end
    out.append(script[last:])
    return "".join(out)


def _is_search_path_reset(node: object) -> bool:
    """Is ``node`` pg_dump's ``SELECT pg_catalog.set_config('search_path', '', false)``?"""
    if not isinstance(node, ast.SelectStmt) or not node.targetList or len(node.targetList) != 1:
        return False
    call = node.targetList[0].val
    if not isinstance(call, ast.FuncCall) or not call.args or len(call.args) != 3:
        return False
    funcname = [n.sval for n in call.funcname or () if isinstance(n, ast.String)]
    if funcname[-1:] != ["set_config"]:
        return False
    name, value = call.args[0], call.args[1]
    return (
        isinstance(name, ast.A_Const)
        and isinstance(name.val, ast.String)
        and name.val.sval == "search_path"
        and isinstance(value, ast.A_Const)
        and isinstance(value.val, ast.String)
        and value.val.sval == ""
    )


def with_search_path(script: str, path: str) -> str:
    """A pg_dump script that restores under ``search_path = path`` instead of the empty one.

    pg_dump qualifies every name it writes, so this changes nothing it creates; it only
    matters for user code PostgreSQL runs during the restore (an SQL function called by an
    index expression or a CHECK) that names objects unqualified, as the original database
    allowed. Such a dump does not restore under the empty path (chado's create_point())."""
    literal = "'" + path.replace("'", "''") + "'"
    out: list[str] = []
    last = 0
    for start, end in _statements(script):
        chunk = script[start:end]
        if "search_path" not in chunk:
            continue
        try:
            (raw,) = parse_sql(chunk)
        except (ParseError, ValueError):
            continue
        if not _is_search_path_reset(raw.stmt):
            continue
        # The second string constant of the call is the '' to replace (scanner positions).
        strings = [t for t in scan(chunk) if t.name == "SCONST"]
        if len(strings) < 2 or chunk[strings[1].start : strings[1].end + 1] != "''":
            continue
        at = start + strings[1].start
        out += [script[last:at], literal]
        last = at + 2
    out.append(script[last:])
    return "".join(out)
