"""Load SQL files into a database, reporting failures as ``file:line:col: message (hint)``.

Statements are found with pglast's scanner and parser (never a regex), grouped into bounded
transactions so that a schema of any size loads on a default-configured server (one huge
transaction runs out of lock slots: max_locks_per_transaction is 64), and mapped back to the
file's lines when the server reports an error position."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import pglast
import psycopg2
from pglast import ast
from pglast.parser import ParseError

from .errors import SchemaLoadError
from .pg import Connection

log = logging.getLogger(__name__)

BATCH = 64  # statements per transaction: well under the default lock table size per statement
# psql meta-commands pg_dump writes around a dump; harmless to skip. Anything else is refused
# because diffcheck does not emulate psql.
_IGNORED_META = {"restrict", "unrestrict"}


@dataclass(frozen=True)
class Statement:
    """One statement of a file, with its character offset for error reporting."""

    text: str
    offset: int
    alone: bool  # must run outside a transaction block


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
        message, offset = _parse_error(exc, blanked)
        line, col = line_col(text, offset)
        raise SchemaLoadError(message, path=path, line=line, column=col) from None
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
            raise SchemaLoadError(
                f"psql meta-command \\{command} inside a statement is not supported",
                path=path,
                line=line,
                column=col,
            )
        if command not in _IGNORED_META:
            raise SchemaLoadError(
                f"psql meta-command \\{command} is not supported",
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


def split(text: str, path: str) -> tuple[str, list[Statement]]:
    """Split a file into statements with offsets; a syntax error names file, line and column.

    Returns the text with meta-command lines blanked (same offsets) and the statements.
    PostgreSQL's own parser finds the statements (and every syntax error), but builds no
    Python syntax tree: that took 1.7 s of a 5,000-table file. Only the few statements that
    may have to run outside a transaction block are parsed into one."""
    text = _blank_meta_commands(text, path)
    try:
        slices = pglast.parser.split(text, with_parser=True, only_slices=True)
    except ParseError as exc:
        message, pos = _parse_error(exc, text)
        line, col = line_col(text, pos)
        raise SchemaLoadError(message, path=path, line=line, column=col) from None
    out = []
    for piece in slices:
        statement = text[piece]
        alone = _maybe_alone(statement) and any(
            raw.stmt is not None and _alone(raw.stmt) for raw in pglast.parse_sql(statement)
        )
        out.append(Statement(statement, piece.start, alone))
    return text, out


def _batches(statements: list[Statement]) -> Iterable[list[Statement]]:
    batch: list[Statement] = []
    for st in statements:
        if st.alone:
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


def _error(
    exc: psycopg2.Error, text: str, path: str, batch_text: str, base: int
) -> SchemaLoadError:
    diag = exc.diag
    message = diag.message_primary or str(exc).strip().splitlines()[0]
    hint = diag.message_hint
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
    guard: Guard | None = None,
) -> int:
    """Execute one file's SQL on an autocommit connection; returns the statement count."""
    text, statements = split(text, path)
    if guard is not None:
        text, statements = guard.prepare(text, statements, path)
    done = 0
    with conn.cursor() as cur:
        cur.execute("reset all")  # each file starts with a clean session, like psql -f would
        for batch in _batches(statements):
            # Send the original text from the first to the last statement of the batch, so
            # the server's error positions map straight back onto the file.
            base = batch[0].offset
            batch_text = text[base : batch[-1].offset + len(batch[-1].text)]
            try:
                if guard is None or len(batch) > 1 or not guard.run(cur, batch[0], text, path):
                    cur.execute(batch_text)
            except psycopg2.Error as exc:
                if len(batch) == 1:
                    raise _error(exc, text, path, batch_text, base) from None
                # The batch was rolled back as a whole: replay it one statement at a time, as
                # psql -f runs a file. A statement that fails alone is the file's error, at
                # its line (DDL naming a missing object has no position in the batch). When
                # every statement succeeds alone, the batch failed only as a batch: the
                # server's lock table was full ("out of shared memory" on a server with a
                # small max_locks_per_transaction), or a statement used an enum value that
                # ALTER TYPE ... ADD VALUE added earlier in it ("unsafe use of new value").
                for st in batch:
                    try:
                        cur.execute(st.text)
                    except psycopg2.Error as inner:
                        raise _error(inner, text, path, st.text, st.offset) from None
                log.info(
                    "%s: a batch failed as a whole (%s); loaded statement by statement",
                    path,
                    (exc.diag.message_primary or "").strip(),
                )
            done += len(batch)
            if progress is not None:
                progress(done, len(statements))
    return len(statements)
