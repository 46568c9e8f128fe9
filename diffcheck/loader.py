"""Load SQL files into a database, reporting failures as ``file:line:col: message (hint)``.

Statements are found with pglast's scanner and parser (never a regex), grouped into bounded
transactions so that a schema of any size loads on a default-configured server (one huge
transaction runs out of lock slots: max_locks_per_transaction is 64), and mapped back to the
file's lines when the server reports an error position."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import pglast
import psycopg2
from pglast import ast
from pglast.parser import ParseError
from psycopg2 import sql

from . import gcpause, sandbox
from .errors import SchemaLoadError
from .pg import Connection

log = logging.getLogger(__name__)

BATCH = 64  # statements per transaction: well under the default lock table size per statement
# psql meta-commands pg_dump writes around a dump; harmless to skip. Anything else is refused
# because diffcheck does not emulate psql.
_IGNORED_META = {"restrict", "unrestrict"}


class MetaCommand(SchemaLoadError):
    """A psql meta-command the loader does not skip (``command``: its name, no backslash)."""

    def __init__(self, message: str, command: str, **where: Any) -> None:
        super().__init__(message, **where)
        self.command = command


@dataclass(frozen=True)
class Statement:
    """One statement of a file, with its character offset for error reporting."""

    text: str
    offset: int
    alone: bool  # must run outside a transaction block
    skip: bool = False  # not run: data, not schema (see sandbox.action)
    sql: str | None = None  # run instead of ``text`` (CREATE ... AS built WITH NO DATA)
    tree: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def run_text(self) -> str:
        """The SQL the build sends for this statement."""
        return self.text if self.sql is None else self.sql


@dataclass(frozen=True)
class Prepared:
    """One file, split, checked and ready to load: what :func:`load` runs."""

    path: str
    text: str  # psql meta-command lines blanked, offsets kept
    statements: list[Statement]


class Guard(Protocol):
    """Rewrites and runs the statements a contained build neutralizes (builder.Guard)."""

    def prepare(
        self, text: str, statements: list[Statement], path: str
    ) -> tuple[str, list[Statement]]: ...

    def run(self, cur: Any, statement: Statement, text: str, path: str) -> bool: ...


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _blank_meta_commands(text: str, path: str) -> str:
    """Replace pg_dump's psql meta-command lines with spaces (keeping offsets and lines).

    A line starting with a backslash is blanked first (its argument, e.g. a \\restrict key
    starting with a digit, need not be valid SQL tokens), then the rest is scanned with
    pglast: a blanked line that falls inside a token (a string or a dollar-quoted body) is
    content and is restored; one between statements is a meta-command; one in the middle of
    a statement is refused."""
    candidates: list[tuple[int, int]] = []
    pos = 0
    for raw_line in text.splitlines(keepends=True):
        stripped = raw_line.lstrip()
        if stripped.startswith("\\"):
            start = pos + len(raw_line) - len(stripped)
            candidates.append((start, pos + len(raw_line.rstrip("\r\n"))))
        pos += len(raw_line)
    if not candidates:
        return text  # the usual case: nothing to blank, and no need to scan 2 MB of SQL
    blanked = text
    for start, end in candidates:
        blanked = blanked[:start] + " " * (end - start) + blanked[end:]
    try:
        tokens = pglast.parser.scan(blanked)
    except ParseError as exc:
        raise _load_error(exc, blanked, path, text) from None
    out = blanked
    for start, end in candidates:
        if any(t.start <= start <= t.end for t in tokens):
            out = out[:start] + text[start:end] + out[end:]  # inside a string or body
            continue
        before = [t for t in tokens if t.end < start and t.name not in ("SQL_COMMENT", "C_COMMENT")]
        words = text[start + 1 : end].split()
        command = words[0] if words else ""
        line, col = line_col(text, start)
        if before and before[-1].name != "ASCII_59":
            raise MetaCommand(
                f"psql meta-command \\{command} inside a statement is not supported",
                command,
                path=path,
                line=line,
                column=col,
            )
        if command not in _IGNORED_META:
            raise MetaCommand(
                f"psql meta-command \\{command} is not supported",
                command,
                path=path,
                line=line,
                column=col,
                hint="schema files are plain SQL; remove the meta-command",
            )
    return out


def _parse_error(exc: ParseError, text: str) -> tuple[str, int]:
    """(message, offset) of a pglast error; "at end of input" has no offset."""
    pos = exc.args[1] if len(exc.args) > 1 else None
    return str(exc.args[0]), len(text.rstrip()) if pos is None else int(pos)


def _load_error(
    exc: ParseError, parsed: str, path: str, source: str | None = None
) -> SchemaLoadError:
    """The load error of a pglast error in ``parsed``; its line and column are counted in
    ``source`` (the text before blanking, same offsets) if given."""
    message, offset = _parse_error(exc, parsed)
    line, col = line_col(parsed if source is None else source, offset)
    return SchemaLoadError(message, path=path, line=line, column=col)


def _alone(node: ast.Node) -> bool:
    # Statements PostgreSQL refuses inside a transaction block.
    if isinstance(node, ast.IndexStmt | ast.DropStmt | ast.ReindexStmt):
        return bool(getattr(node, "concurrent", False)) or bool(
            isinstance(node, ast.ReindexStmt)
            and any(getattr(p, "defname", "") == "concurrently" for p in (node.params or ()))
        )
    return isinstance(node, ast.VacuumStmt | ast.CreatedbStmt | ast.AlterSystemStmt)


# Every statement _alone accepts spells one of these words: VACUUM / ANALYZE / ANALYSE,
# CREATE DATABASE, ALTER SYSTEM, REINDEX (its CONCURRENTLY option may be quoted), and
# CONCURRENTLY for indexes. Keywords cannot be escaped, so a statement without any of them
# is never alone; one with any of them (even in a string) is parsed to decide.
_ALONE_WORDS = ("concurrently", "vacuum", "analy", "database", "system", "reindex")


def _maybe_alone(statement: str) -> bool:
    lowered = statement.lower()
    return any(word in lowered for word in _ALONE_WORDS)


def split(text: str, path: str, *, trees: bool = False) -> tuple[str, list[Statement]]:
    """Split a file into statements with offsets; a syntax error names file, line and column.

    Returns the text with meta-command lines blanked (same offsets) and the statements.
    PostgreSQL's own parser finds the statements (and every syntax error), but builds no
    Python syntax tree: that took 1.7 s of a 5,000-table file. Only the few statements that
    may have to run outside a transaction block are parsed into one. With ``trees``, every
    statement carries its parse tree as pglast's JSON (plain dicts, for the sandbox): one
    parse of the file gives both the statements and their trees."""
    text = _blank_meta_commands(text, path)
    if trees:
        return text, _split_json(text, path)
    try:
        slices = pglast.parser.split(text, with_parser=True, only_slices=True)
    except ParseError as exc:
        raise _load_error(exc, text, path) from None
    out = []
    for piece in slices:
        statement = text[piece]
        alone = _maybe_alone(statement) and any(
            raw.stmt is not None and _alone(raw.stmt) for raw in pglast.parse_sql(statement)
        )
        out.append(Statement(statement, piece.start, alone))
    return text, out


def _char_offsets(text: str, offsets: list[int]) -> list[int]:
    """Character offsets of ascending UTF-8 byte offsets into ``text``."""
    if text.isascii():
        return offsets
    data = text.encode()
    out, chars, prev = [], 0, 0
    for off in offsets:
        chars += len(data[prev:off].decode())
        prev = off
        out.append(chars)
    return out


def _alone_tree(node: dict[str, Any]) -> bool:
    # The same statements as _alone, read from the JSON tree.
    ((kind, body),) = node.items()
    if kind in ("IndexStmt", "DropStmt"):
        return bool(body.get("concurrent"))
    if kind == "ReindexStmt":
        params = body.get("params") or ()
        return any(p.get("DefElem", {}).get("defname") == "concurrently" for p in params)
    return kind in ("VacuumStmt", "CreatedbStmt", "AlterSystemStmt")


def _split_json(text: str, path: str) -> list[Statement]:
    """Statements with their trees, from one ``parse_sql_json`` of the (blanked) file."""
    try:
        raw = pglast.parser.parse_sql_json(text)
    except ParseError as exc:
        raise _load_error(exc, text, path) from None
    stmts = json.loads(raw).get("stmts", [])
    size = len(text.encode()) if not text.isascii() else len(text)
    bounds: list[int] = []
    for s in stmts:
        start = s.get("stmt_location", 0)
        bounds += [start, start + s["stmt_len"] if s.get("stmt_len") else size]
    chars = _char_offsets(text, bounds)
    out = []
    for k, s in enumerate(stmts):
        start, end = chars[2 * k], chars[2 * k + 1]
        piece = text[start:end]
        body = piece.strip()
        if not body:
            continue
        offset = start + len(piece) - len(piece.lstrip())
        tree = s["stmt"]
        out.append(Statement(body, offset, _alone_tree(tree), tree=tree))
    return out


def prepare(text: str, path: str, *, trusted: bool = False) -> Prepared:
    """Split a file and check every statement with the sandbox (unless ``trusted``): a
    refused statement raises ``sandbox.RefusedStatement`` before anything runs. Statements
    that are data are marked to skip, and CREATE ... AS ones rewritten WITH NO DATA."""
    return prepare_all([(path, text)], trusted=trusted)[0]


@dataclass
class _Staged:
    path: str
    text: str
    statements: list[Statement]  # only top-level SELECTs still carry their tree
    defined: set[str]


def prepare_all(files: list[tuple[str, str]], *, trusted: bool = False) -> list[Prepared]:
    """:func:`prepare` for every (path, text) of a source, all checked before any runs.

    Top-level SELECTs are checked last, knowing every function and type name the source
    defines: an unqualified ``set_config(...)`` could call the schema's own set_config."""
    # The trees of a large file are a few million small dicts, built and dropped here: the
    # cyclic collector would walk them all, to free nothing (see gcpause).
    with gcpause.paused():
        staged = [_stage(text, path, trusted) for path, text in files]
        defined = frozenset().union(*(s.defined for s in staged))
        return [_finish(s, trusted, defined) for s in staged]


def _refuse(kind: str | None, text: str, path: str, st: Statement) -> None:
    if kind is not None:
        line = sandbox.first_line(text, st.offset, st.text)
        raise sandbox.RefusedStatement(kind, path=path, line=line)


def _stage(text: str, path: str, trusted: bool) -> _Staged:
    text, statements = split(text, path, trees=True)
    out, defined = [], set()
    for st in statements:
        assert st.tree is not None
        defined.update(sandbox.defines(st.tree))
        keep = "SelectStmt" in st.tree
        if not trusted and not keep:
            _refuse(sandbox.refusal(st.tree), text, path, st)
        act = sandbox.action(st.tree)
        out.append(
            replace(
                st,
                skip=act == sandbox.SKIP,
                sql=sandbox.no_data(st.text) if act == sandbox.NO_DATA else None,
                # The trees of a large file take far more memory than its text.
                tree=st.tree if keep else None,
            )
        )
    return _Staged(path, text, out, defined)


def _finish(staged: _Staged, trusted: bool, defined: frozenset[str]) -> Prepared:
    out = []
    for st in staged.statements:
        if st.tree is not None:
            if not trusted:
                _refuse(sandbox.refusal(st.tree, defined), staged.text, staged.path, st)
            st = replace(st, tree=None)
        out.append(st)
    return Prepared(staged.path, staged.text, out)


def _batches(statements: list[Statement]) -> Iterable[list[Statement]]:
    batch: list[Statement] = []
    for st in statements:
        if st.skip:  # never sent; the batches around it are cut so that it is not either
            if batch:
                yield batch
                batch = []
            continue
        if st.alone or st.sql is not None:
            if batch:
                yield batch
                batch = []
            yield [st]
            continue
        batch.append(st)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# A contained build's "permission denied" is the containment working, not a broken file: say
# what the user can do about an object only a superuser may create (a C function, a base type).
_CONTAINED_HINT = (
    "the scratch build runs as an unprivileged role that owns only its database "
    "(docs/safety.md); objects only a superuser may create need --trust-schema-sql"
)


def _error(
    exc: psycopg2.Error,
    text: str,
    path: str,
    batch_text: str,
    base: int,
    contained: bool = False,
) -> SchemaLoadError:
    diag = exc.diag
    message = diag.message_primary or str(exc).strip().splitlines()[0]
    hint = diag.message_hint
    if contained and exc.pgcode == "42501" and not hint:  # insufficient_privilege
        hint = _CONTAINED_HINT
    pos = diag.statement_position
    if pos:
        # statement_position is 1-based within the query string we sent.
        line, col = line_col(text, base + int(pos) - 1)
        return SchemaLoadError(message, path=path, line=line, column=col, hint=hint)
    if diag.internal_position and diag.context:
        message = f"{message} ({diag.context.splitlines()[0]})"
    line, _ = line_col(text, base + (len(batch_text) - len(batch_text.lstrip())))
    return SchemaLoadError(message, path=path, line=line, hint=hint)


def load_text(
    conn: Connection,
    text: str,
    path: str,
    progress: Callable[[int, int], None] | None = None,
    *,
    trusted: bool = False,
    guard: Guard | None = None,
) -> int:
    """Check and execute one file's SQL on an autocommit connection; returns the statement
    count."""
    return load(conn, prepare(text, path, trusted=trusted), progress, guard=guard)


def session_settings(conn: Connection) -> dict[str, str]:
    """The settings set in this session (SET or set_config), by name."""
    with conn.cursor() as cur:
        cur.execute("select name, setting from pg_catalog.pg_settings where source = 'session'")
        return {name: value for name, value in cur.fetchall()}


def _reset_session(conn: Connection, baseline: dict[str, str]) -> None:
    """Put the session's settings back to ``baseline``: each file starts with the session the
    build started with, as psql -f would start each with a new one. Not RESET ALL: that would
    also undo what the build set for itself (session_replication_role = replica keeps the
    schema's event triggers from firing), and the build's role may not set it again."""
    now = session_settings(conn)
    with conn.cursor() as cur:
        for name in now.keys() - baseline.keys():
            cur.execute(sql.SQL("reset {}").format(sql.Identifier(name)))
        for name, value in baseline.items():
            if now.get(name) != value:
                cur.execute("select pg_catalog.set_config(%s, %s, false)", (name, value))


def load(
    conn: Connection,
    prepared: Prepared,
    progress: Callable[[int, int], None] | None = None,
    baseline: dict[str, str] | None = None,
    guard: Guard | None = None,
) -> int:
    """Execute a prepared file on an autocommit connection; returns the statement count.
    The session starts from ``baseline`` (see :func:`session_settings`), by default its
    settings as they are now. A contained build's ``guard`` neutralizes what its role may
    not run (ownership clauses, untrusted extensions) and runs some statements itself."""
    text, path, statements = prepared.text, prepared.path, prepared.statements
    if guard is not None:
        text, statements = guard.prepare(text, statements, path)
    done = 0
    if baseline is not None:
        _reset_session(conn, baseline)
    with conn.cursor() as cur:
        for batch in _batches(statements):
            # Send the original text from the first to the last statement of the batch, so
            # the server's error positions map straight back onto the file. A statement
            # rewritten WITH NO DATA runs alone; its edit is at its end, so positions hold.
            base = batch[0].offset
            batch_text = batch[0].run_text
            if len(batch) > 1 or batch[0].sql is None:
                batch_text = text[base : batch[-1].offset + len(batch[-1].text)]
            try:
                if guard is None or len(batch) > 1 or not guard.run(cur, batch[0], text, path):
                    cur.execute(batch_text)
            except psycopg2.Error as exc:
                if len(batch) == 1:
                    raise _error(exc, text, path, batch_text, base, guard is not None) from None
                # The batch was rolled back as a whole: replay it one statement at a time, as
                # psql -f runs a file. A statement that fails alone is the file's error, at
                # its line (DDL naming a missing object has no position in the batch). When
                # every statement succeeds alone, the batch failed only as a batch: the
                # server's lock table was full ("out of shared memory" on a server with a
                # small max_locks_per_transaction), or a statement used an enum value that
                # ALTER TYPE ... ADD VALUE added earlier in it ("unsafe use of new value").
                for st in batch:
                    try:
                        cur.execute(st.run_text)
                    except psycopg2.Error as inner:
                        raise _error(
                            inner, text, path, st.text, st.offset, guard is not None
                        ) from None
                log.info(
                    "%s: a batch failed as a whole (%s); loaded statement by statement",
                    path,
                    (exc.diag.message_primary or "").strip(),
                )
            done += len(batch)
            if progress is not None:
                progress(done, len(statements))
    return len(statements)
