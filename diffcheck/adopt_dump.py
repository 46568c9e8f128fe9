"""Read a live database's DDL as pg_dump TOC entries, for ``diffcheck init`` and ``pull``.

pg_dump writes a custom-format archive, and ``pg_restore --verbose`` prints it back as SQL in
which every TOC entry is preceded by a structured comment header::

    --
    -- TOC entry 215 (class 1259 OID 171699)
    -- Dependencies: 214 5
    -- Name: customer; Type: TABLE; Schema: public; Owner: -
    --

The header gives each entry's kind, schema, name and, crucially, the ids of the entries it
depends on: a plain ``pg_dump`` prints no dependencies, and without them a layout that splits
the dump into several files could only keep pg_dump's exact global order. Statements are found
with pglast (via :func:`diffcheck.loader.split`), never with a regex; only the comment headers
between statements are read line by line, and they are not SQL."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pglast
from pglast import ast
from pglast import parser as scanner
from pglast.parser import ParseError

from . import pg
from .engine import INTERNAL_SCHEMAS
from .errors import DiffcheckError

# Kinds whose SQL pg_dump only writes for a database-level restore (--create); never ours.
_SKIPPED_KINDS = {"ENCODING", "STDSTRINGS", "SEARCHPATH", "DATABASE", "DATABASE PROPERTIES"}
# Kinds a SET default_table_access_method applies to.
_AM_KINDS = {"TABLE", "MATERIALIZED VIEW"}


@dataclass
class Entry:
    """One pg_dump TOC entry: an object (or a comment, default, ACL...) and its statements."""

    id: int
    kind: str  # pg_dump's "Type": TABLE, FK CONSTRAINT, COMMENT, ...
    name: str  # pg_dump's "Name" (tag): "actor", "actor actor_pkey", "TABLE actor", ...
    schema: str | None  # None for database-level entries ("Schema: -")
    deps: tuple[int, ...] = ()
    statements: list[str] = field(default_factory=list)
    # A non-default table access method pg_dump selected with SET before this entry.
    access_method: str | None = None

    @property
    def label(self) -> str:
        """How messages name the entry: ``TABLE public.actor``."""
        where = f"{self.schema}." if self.schema else ""
        return f"{self.kind} {where}{self.name}"


def dump_entries(url: str, *, privileges: bool) -> list[Entry]:
    """The live database's schema as TOC entries in pg_dump's (dependency-safe) order."""
    with pg.connection(url, autocommit=True, role="live") as conn:
        major = pg.server_major(conn)
    return parse_restore_script(restore_script(url, major, privileges=privileges))


def restore_script(url: str, major: int, *, privileges: bool) -> str:
    """``pg_dump -Fc --schema-only`` then ``pg_restore --verbose -f -``: SQL with TOC headers.

    Both tools come from the same installation so the archive format always matches, and the
    archive is one snapshot, so entries and dependencies are consistent."""
    pg_dump = pg.find_tool("pg_dump", major)
    sibling = Path(pg_dump).with_name("pg_restore")
    pg_restore = str(sibling) if sibling.is_file() else pg.find_tool("pg_restore", major)
    conninfo, env = pg.tool_env(url)
    with tempfile.TemporaryDirectory(prefix="diffcheck-init-") as tmp:
        archive = str(Path(tmp, "schema.dump"))
        dump_args = [
            pg_dump,
            "--format=custom",
            "--schema-only",
            "--no-tablespaces",
            "--no-security-labels",
            "--no-publications",
            "--no-subscriptions",
            "--file",
            archive,
        ]
        if not privileges:
            dump_args.append("--no-privileges")
        # diffcheck's own bookkeeping (the history table, its sequence, indexes, comments,
        # grants and default privileges) is nobody's desired schema; check ignores it too.
        for internal in INTERNAL_SCHEMAS:
            dump_args.append(f"--exclude-schema={internal}")
        proc = subprocess.run([*dump_args, "-d", conninfo], capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise pg.pg_dump_error(url, proc.stderr)
        restore_args = [pg_restore, "--verbose", "--no-owner", "--file", "-"]
        if not privileges:
            restore_args.append("--no-privileges")
        proc = subprocess.run([*restore_args, archive], capture_output=True, text=True)
        if proc.returncode != 0:
            raise DiffcheckError(
                f"pg_restore of the schema dump failed: {pg.tool_error(proc.stderr, url)}"
            )
    return proc.stdout


def _header(line: str, current: Entry | None) -> Entry | None:
    """Apply one comment line of a TOC header; returns the entry it starts, if any."""
    if line.startswith("-- TOC entry "):
        words = line.split()
        return Entry(id=int(words[3]), kind="", name="", schema=None)
    if current is None:
        return None
    if line.startswith("-- Dependencies:"):
        current.deps = tuple(int(w) for w in line.split(":", 1)[1].split())
    elif line.startswith("-- Name: "):
        # "-- Name: N; Type: T; Schema: S; Owner: O". Split from the right: a name may
        # contain "; " but the trailing fields are pg_dump's own.
        body = line[len("-- Name: ") :]
        body, _, _owner = body.rpartition("; Owner: ")
        body, _, schema = body.rpartition("; Schema: ")
        name, _, kind = body.rpartition("; Type: ")
        current.name, current.kind = name, kind
        current.schema = None if schema == "-" else schema
    return None


def _split(text: str, path: str) -> tuple[str, list[slice]]:
    """Statement slices of a pg_restore script, found by PostgreSQL's own parser (pglast).

    pg_restore writes two psql meta-commands, ``\\restrict KEY`` and ``\\unrestrict KEY``,
    on lines of their own between statements. Lines starting with a backslash are blanked
    (same offsets), the text is split, and any blanked line that turns out to lie inside a
    statement (a function body, say) is put back. Scanning every token in Python, as
    diffcheck.loader does, costs seconds on a dump the size of chado's."""
    candidates: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        if line.startswith("\\"):
            candidates.append((pos, pos + len(line)))
        pos += len(line) + 1
    while True:
        blanked = text
        for start, end in candidates:
            blanked = blanked[:start] + " " * (end - start) + blanked[end:]
        try:
            slices = list(scanner.split(blanked, with_parser=True, only_slices=True))
        except ParseError as exc:
            raise DiffcheckError(f"{path}: cannot split the schema dump: {exc.args[0]}") from None
        inside = {c for c in candidates if any(sl.start <= c[0] < sl.stop for sl in slices)}
        if not inside:
            return blanked, slices
        candidates = [c for c in candidates if c not in inside]


def _comment_lines(gap: str) -> list[str]:
    """The ``--`` comment lines between two statements (pg_dump writes nothing else there:
    its headers, blank lines and psql meta-commands, which the splitter blanked)."""
    return [line.strip() for line in gap.split("\n") if line.lstrip().startswith("--")]


def _setting(statement: str) -> tuple[str, str] | None:
    """(name, value) when a statement is ``SET name = value`` or pg_dump's set_config call."""
    head = statement[:40].lstrip().lower()
    if not head.startswith(("set ", "select pg_catalog.set_config")):
        return None
    try:
        node = pglast.parse_sql(statement)[0].stmt
    except ParseError:
        return None
    if isinstance(node, ast.VariableSetStmt):
        args = node.args or ()
        value = ""
        if args and isinstance(args[0], ast.A_Const) and args[0].val is not None:
            value = str(getattr(args[0].val, "sval", getattr(args[0].val, "ival", "")))
        return (node.name or "", value)
    if isinstance(node, ast.SelectStmt) and "set_config" in statement:
        return ("set_config", "")
    return None


def parse_restore_script(text: str, path: str = "<pg_restore output>") -> list[Entry]:
    """Entries of a ``pg_restore --verbose`` script, statements attributed by TOC header.

    Session settings (SET ..., set_config('search_path', ...)) and psql's \\restrict lines
    are dropped: files load in a fresh session each, and every name in a dump is qualified.
    A non-default table access method is kept on the entries it applies to."""
    blanked, slices = _split(text, path)
    entries: list[Entry] = []
    current: Entry | None = None
    access_method: str | None = None
    prev_end = 0
    for sl in slices:
        for line in _comment_lines(blanked[prev_end : sl.start]):
            started = _header(line, current)
            if started is not None:
                current = started
                entries.append(current)
        prev_end = sl.stop
        sql = blanked[sl].strip()
        setting = _setting(sql)
        if setting is not None:
            if setting[0] == "default_table_access_method":
                access_method = None if setting[1] in ("", "heap") else setting[1]
            continue  # session noise: see the docstring
        if current is None:
            raise DiffcheckError(f"{path}: statement before the first TOC entry: {sql[:60]!r}")
        if access_method and current.kind in _AM_KINDS:
            current.access_method = access_method
        current.statements.append(sql + ";")
    return [e for e in entries if e.kind not in _SKIPPED_KINDS]
