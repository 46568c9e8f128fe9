"""Containment of a desired build: schema files run as a role that can reach nothing but
its scratch database.

Schema files come from anyone who can open a pull request, and a statement that passes the
parser's allow-list can still run code at DDL time (a DEFAULT evaluated by ADD COLUMN, an
immutable call folded while an index is built). So the build runs as the scratch database's
*builder* role (scratch.add_builder): it owns that database and is a member of no role.

The strongest form logs in as the builder (a one-time password): session_user is then
unprivileged and no function body can climb back. When the server refuses that login (its
pg_hba.conf), the build falls back to ``SET ROLE``, which a function body can undo with
RESET ROLE; that is said once on stderr. A connecting role without CREATEROLE builds as
itself, as before, and says so. ``trust_schema_sql`` builds as the connecting role.

A few statements that pg_dump writes cannot run as the builder and are neutralized, guided by
pglast's syntax tree: ownership (ALTER ... OWNER TO, CREATE SCHEMA ... AUTHORIZATION) is
skipped, since owners are not compared; ALTER DEFAULT PRIVILEGES (only this database's
defaults) runs as the connecting role, whose role name they are compared under, as before;
CREATE EXTENSION of an untrusted extension and COMMENT ON EXTENSION run as the connecting
role (extension scripts are the server administrator's code), except extensions that reach
files, programs or the network."""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pglast
import psycopg2
import psycopg2.extensions
from pglast import ast, enums

from . import dsn as dsnlib
from . import pg
from .errors import ConnectionFailed, SchemaLoadError
from .loader import Statement, line_col
from .scratch import Builder, ScratchDB, ScratchServer

log = logging.getLogger(__name__)

# Never created on a contained build's behalf: each hands later statements the server's
# files, programs or network (or, for untrusted languages, code as the OS user).
DENIED_EXTENSIONS = frozenset(
    {
        "adminpack",
        "dblink",
        "file_fdw",
        "postgres_fdw",
        "plperlu",
        "plpython2u",
        "plpython3u",
        "plpythonu",
        "pltclu",
    }
)

# Words one of the statements neutralized here must contain (keywords cannot be escaped):
# a statement without any of them is not parsed, which keeps a 5,000-table file fast.
_WORDS = ("owner", "authorization", "privileges", "extension")

_SKIP, _ADMIN, _ESCALATE = "skip", "admin", "escalate"


def note(message: str, noted: set[str], quiet: bool, level: str = "note") -> None:
    """Say ``message`` on stderr unless quiet or already in ``noted`` (once per command)."""
    if quiet or message in noted:
        return
    noted.add(message)
    print(f"diffcheck: {level}: {message}", file=sys.stderr)


@dataclass
class Build:
    """How a desired source is built: the URL it connects with, the mode, and the guard
    that neutralizes statements the builder may not run (None: run everything as is)."""

    url: str
    mode: str  # "login", "set-role", "uncontained" or "trusted"
    guard: Guard | None


def _url_as(url: str, role: str, password: str) -> str:
    """``url`` with another user and password, as a keyword DSN."""
    kw = dict(psycopg2.extensions.parse_dsn(dsnlib.normalize(url)))
    kw.update(user=role, password=password)
    return str(psycopg2.extensions.make_dsn(**kw))


def _options(role: str, replica: bool) -> str:
    """Startup options: they survive the loader's RESET ALL (they are the session's
    defaults), so each file starts as the builder, with event triggers off. The role's
    name is diffcheck's own (letters, digits, underscores): nothing to escape."""
    parts = ["-c role=" + role]
    if replica:
        # Event triggers (and ordinary triggers) do not fire in a replica session; only a
        # superuser may set it.
        parts.append("-c session_replication_role=replica")
    return " ".join(parts)


@contextmanager
def contained(
    server: ScratchServer, db: ScratchDB, *, trust: bool, quiet: bool, noted: set[str]
) -> Iterator[Build]:
    """The strongest build the scratch server allows for ``db``; the guard's connection
    as the admin is closed on exit (the role itself is dropped with the database)."""
    if trust:
        yield Build(db.url, "trusted", None)
        return
    made = server.add_builder(db)
    if isinstance(made, str):
        note(
            f"the scratch build is not contained by a separate role: {made}, so schema files "
            "run as the connecting role itself (see docs/safety.md)",
            noted,
            quiet,
        )
        yield Build(db.url, "uncontained", None)
        return
    build = _login(db, made, noted)
    if build is None:
        # The admin's own user and password; the startup options set the role.
        build = Build(_with_options(db.url, made), "set-role", None)
    guard = Guard(db.url, made.role)
    build.guard = guard
    try:
        yield build
    finally:
        guard.close()


def _with_options(url: str, made: Builder) -> str:
    kw = dict(psycopg2.extensions.parse_dsn(dsnlib.normalize(url)))
    # After the URL's own options: the last -c of a setting wins.
    kw["options"] = (
        kw.get("options", "") + " " + _options(made.role, made.superuser_admin)
    ).strip()
    return str(psycopg2.extensions.make_dsn(**kw))


def _login(db: ScratchDB, made: Builder, noted: set[str]) -> Build | None:
    """Log in as the builder; None (after a note) when the server refuses it."""
    url = _url_as(db.url, made.role, made.password)
    try:
        pg.connect(url, autocommit=True, role="scratch database").close()
    except ConnectionFailed as exc:
        reason = exc.message.split(": ", 1)[-1]
        note(
            "containment is partial: the scratch server refused a login as the builder role "
            f"({reason}), so the build runs under SET ROLE, which code in a schema file can "
            "undo (allow the login in pg_hba.conf; see docs/safety.md)",
            noted,
            quiet=False,  # a weaker boundary than asked for is said even with --quiet
            level="warning",
        )
        return None
    return Build(url, "login", None)


class Guard:
    """Neutralizes, in a contained build, the statements the builder may not run."""

    def __init__(self, admin_url: str, role: str) -> None:
        self.admin_url = admin_url  # the scratch database, as the connecting role
        self.role = role
        self._admin: pg.Connection | None = None
        self._kinds: dict[int, tuple[str, str]] = {}  # offset -> (kind, extension name)

    def close(self) -> None:
        """Close the connection as the admin, if one was opened."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None

    def prepare(
        self, text: str, statements: list[Statement], path: str
    ) -> tuple[str, list[Statement]]:
        """Blank the ownership clauses and statements in ``text`` (offsets and lines stay);
        the statements to run as the admin are put in batches of their own."""
        out: list[Statement] = []
        for st in statements:
            lowered = st.text.lower()
            if not any(word in lowered for word in _WORDS):
                out.append(st)
                continue
            kind, extension, blanks = _classify(st.text)
            for start, end in blanks:
                a, b = st.offset + start, st.offset + end
                text = text[:a] + " " * (b - a) + text[b:]
            if kind == _SKIP:
                line = line_col(text, st.offset)[0]
                log.info("%s:%d: ownership skipped in the scratch build", path, line)
                continue
            new = text[st.offset : st.offset + len(st.text)]
            if kind:
                self._kinds[st.offset] = (kind, extension)
                out.append(dataclasses.replace(st, text=new, alone=True))
            else:
                out.append(dataclasses.replace(st, text=new))
        return text, out

    def run(self, cur: Any, st: Statement, text: str, path: str) -> bool:
        """Run ``st`` if it is one of ours (True); psycopg2 errors propagate to the loader."""
        kind, extension = self._kinds.get(st.offset, ("", ""))
        if not kind:
            return False
        if kind == _ESCALATE:
            # As the builder first: a trusted extension is the builder's own.
            try:
                cur.execute(st.text)
                return True
            except psycopg2.errors.InsufficientPrivilege:
                pass
            if extension in DENIED_EXTENSIONS:
                line, col = line_col(text, st.offset)
                raise SchemaLoadError(
                    f'extension "{extension}" reaches files, programs or the network outside '
                    "the scratch database and is not created for a schema file",
                    path=path,
                    line=line,
                    column=col,
                    hint="create it with --trust-schema-sql, or leave it out of schema/",
                )
        cur.execute("select pg_catalog.current_setting('search_path')")
        search_path = cur.fetchone()[0]
        admin = self._connection()
        with admin.cursor() as acur:
            acur.execute("select pg_catalog.set_config('search_path', %s, false)", (search_path,))
            acur.execute(st.text)
        log.info("%s:%d: run as the connecting role", path, line_col(text, st.offset)[0])
        return True

    def _connection(self) -> pg.Connection:
        if self._admin is None:
            self._admin = pg.connect(self.admin_url, autocommit=True, role="scratch database")
        return self._admin


def _classify(statement: str) -> tuple[str, str, list[tuple[int, int]]]:
    """(kind, extension name, character ranges to blank) of one statement."""
    blanks: list[tuple[int, int]] = []
    try:
        parsed = pglast.parse_sql(statement)
    except pglast.parser.ParseError:  # the server reports it, at its line
        return "", "", blanks
    if len(parsed) != 1 or parsed[0].stmt is None:
        return "", "", blanks
    node = parsed[0].stmt
    if isinstance(node, ast.AlterOwnerStmt):
        return _SKIP, "", [(0, len(statement))]
    if isinstance(node, ast.AlterTableStmt) and node.cmds:
        if all(c.subtype == enums.AlterTableType.AT_ChangeOwner for c in node.cmds):
            return _SKIP, "", [(0, len(statement))]
    if isinstance(node, ast.CreateSchemaStmt) and node.authrole is not None:
        return "", "", _authorization(statement, node)
    if isinstance(node, ast.AlterDefaultPrivilegesStmt):
        return _ADMIN, "", blanks
    if isinstance(node, ast.CreateExtensionStmt):
        return _ESCALATE, str(node.extname), blanks
    if isinstance(node, ast.CommentStmt) and node.objtype == enums.ObjectType.OBJECT_EXTENSION:
        return _ESCALATE, "", blanks
    return "", "", blanks


def _authorization(statement: str, node: ast.CreateSchemaStmt) -> list[tuple[int, int]]:
    """The ranges that drop ``AUTHORIZATION role`` from a CREATE SCHEMA: both words when the
    schema is named, the keyword only when the role names it. CURRENT_USER and friends name
    the builder itself, which needs nothing."""
    role = node.authrole
    if role is None or role.roletype != enums.RoleSpecType.ROLESPEC_CSTRING:
        return []
    at = int(role.location or 0)
    tokens = pglast.parser.scan(statement)
    keyword = [t for t in tokens if t.name == "AUTHORIZATION" and t.start < at]
    named = [t for t in tokens if t.start == at]
    if not keyword or not named:
        return []
    start = keyword[-1].start
    if node.schemaname is None:
        return [(start, keyword[-1].end + 1)]
    return [(start, named[0].end + 1)]
