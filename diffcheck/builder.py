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
skipped, since owners are not compared; ALTER DEFAULT PRIVILEGES for the connecting role is
set for the builder, which creates the objects (fixups.privileges reads its rows as the
connecting role's), and for other roles runs as the connecting role; CREATE EXTENSION of an
untrusted extension and COMMENT ON EXTENSION of one the builder does not own run as the
connecting role (extension scripts are the server administrator's code), except extensions
that reach files, programs or the network."""

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
from pglast.stream import RawStream
from psycopg2 import sql

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
_WORDS = ("owner", "authorization", "privileges", "extension", "leakproof")

_SKIP, _ADMIN, _ESCALATE, _LEAKPROOF = "skip", "admin", "escalate", "leakproof"


def note(message: str, noted: set[str], quiet: bool, level: str = "note") -> None:
    """Say ``message`` on stderr unless quiet or already in ``noted`` (once per command)."""
    if quiet or message in noted:
        return
    noted.add(message)
    print(f"diffcheck: {level}: {message}", file=sys.stderr)


@dataclass
class Build:
    """How a desired source is built: an open autocommit connection and the URL it was
    opened with, the mode, and the guard that neutralizes statements the builder may not
    run (None: run everything as is)."""

    conn: pg.Connection
    url: str
    mode: str  # "login", "set-role", "uncontained" or "trusted"
    guard: Guard | None = None
    made: Builder | None = None  # the builder role, when there is one


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
    """The strongest build the scratch server allows for ``db``, connected; every
    connection is closed on exit (the role itself is dropped with the database)."""
    if trust:
        build = _open_replica(db.url)
    else:
        made = server.add_builder(db)
        if isinstance(made, str):
            note(
                f"the scratch build is not contained by a separate role: {made}, so schema "
                "files run as the connecting role itself (see docs/safety.md)",
                noted,
                quiet,
            )
            build = _open(db.url, "uncontained")
        else:
            # The admin's own user and password when the login is refused; the startup
            # options set the role.
            build = _login(db, made, noted) or _open(_with_options(db.url, made), "set-role")
            build.guard = Guard(db.url, made, in_session=build.mode == "set-role")
            build.made = made
    try:
        yield build
    finally:
        build.conn.close()
        if build.guard is not None:
            build.guard.close()


def _open_replica(url: str) -> Build:
    """A trusted build's connection: event triggers off where the role may set that (a
    superuser; anyone else is refused the startup option and connects without it)."""
    kw = dict(psycopg2.extensions.parse_dsn(dsnlib.normalize(url)))
    kw["options"] = (kw.get("options", "") + " -c session_replication_role=replica").strip()
    try:
        return _open(str(psycopg2.extensions.make_dsn(**kw)), "trusted")
    except ConnectionFailed:
        return _open(url, "trusted")


def _open(url: str, mode: str) -> Build:
    return Build(pg.connect(url, autocommit=True, role="scratch database"), url, mode)


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
        return _open(url, "login")
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


class Guard:
    """Neutralizes, in a contained build, the statements the builder may not run."""

    def __init__(self, admin_url: str, made: Builder, in_session: bool) -> None:
        self.admin_url = admin_url  # the scratch database, as the connecting role
        self.made = made
        # SET ROLE fallback: the build session is the connecting role's, so what the
        # builder may not do runs there (inside the file's transaction, if it has one).
        self.in_session = in_session
        self._admin: pg.Connection | None = None
        self._kinds: dict[int, _Special] = {}  # by offset: the statements run specially

    def close(self) -> None:
        """Close the connection as the admin, if one was opened."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None

    def prepare(
        self, text: str, statements: list[Statement], path: str
    ) -> tuple[str, list[Statement]]:
        """Blank the ownership clauses and statements in ``text`` (offsets and lines stay);
        the statements the guard runs itself are put in batches of their own."""
        out: list[Statement] = []
        for st in statements:
            lowered = st.text.lower()
            if not any(word in lowered for word in _WORDS):
                out.append(st)
                continue
            special, blanks = _classify(st.text)
            for start, end in blanks:
                a, b = st.offset + start, st.offset + end
                text = text[:a] + " " * (b - a) + text[b:]
            if special is not None and special.kind == _SKIP:
                line = line_col(text, st.offset)[0]
                log.info("%s:%d: ownership skipped in the scratch build", path, line)
                continue
            new = text[st.offset : st.offset + len(st.text)]
            if special is not None:
                self._kinds[st.offset] = special
            out.append(dataclasses.replace(st, text=new, alone=st.alone or special is not None))
        return text, out

    def run(self, cur: Any, st: Statement, text: str, path: str) -> bool:
        """Run ``st`` if it is one of ours (True); psycopg2 errors propagate to the loader."""
        special = self._kinds.get(st.offset)
        if special is None:
            return False
        where = (text, path, st.offset)
        if special.kind == _ADMIN:
            # ALTER DEFAULT PRIVILEGES for the connecting role (or naming no role) is set for
            # the builder, which creates the objects now; inspection reads the builder's rows
            # as the connecting role's (fixups.privileges) and its dumps name the connecting
            # role (as_admin_dump), so they compare as before. Other roles' need the
            # connecting role.
            if not special.roles or set(special.roles) == {self.made.admin}:
                cur.execute(special.mine)
            else:
                self._as_admin(cur, st.text, where)
            return True
        if special.kind == _LEAKPROOF:
            # Only a superuser marks a function LEAKPROOF (it runs no code): the builder
            # creates it without, and the connecting role marks it.
            if special.mine:
                cur.execute(st.text)
            self._as_admin(cur, special.mine or st.text, where)
            return True
        name = special.extension
        if special.kind == _ESCALATE:
            cur.execute(
                "select v.trusted, exists (select from pg_catalog.pg_extension x"
                " where x.extname = v.name) from pg_catalog.pg_available_extension_versions v"
                " join pg_catalog.pg_available_extensions e using (name)"
                " where v.name = %s and v.version = e.default_version",
                (name,),
            )
            row = cur.fetchone()
            if row is None or row[0] or row[1]:
                cur.execute(st.text)  # the builder's own (or the server's error, at its line)
                return True
            if name in DENIED_EXTENSIONS:
                raise _refusal(
                    f'extension "{name}" reaches files, programs or the network outside the '
                    "scratch database and is not created for a schema file",
                    "create it with --trust-schema-sql, or leave it out of schema/",
                    where,
                )
        else:  # COMMENT ON EXTENSION: by its owner
            cur.execute(
                "select extowner <> (select oid from pg_catalog.pg_roles"
                " where rolname = current_user) from pg_catalog.pg_extension where extname = %s",
                (name,),
            )
            row = cur.fetchone()
            if row is None or not row[0]:
                cur.execute(st.text)
                return True
        self._as_admin(cur, st.text, where)
        return True

    def _as_admin(self, cur: Any, statement: str, where: tuple[str, str, int]) -> None:
        """Run ``statement`` as the connecting role, under the build session's search_path."""
        if self.in_session:
            cur.execute(sql.SQL("set role {}").format(sql.Identifier(self.made.admin)))
            try:
                cur.execute(statement)
            finally:
                if cur.connection.info.transaction_status != _FAILED:
                    cur.execute(sql.SQL("set role {}").format(sql.Identifier(self.made.role)))
            return
        if cur.connection.info.transaction_status != _IDLE:
            # Another session cannot see, and may wait forever on, the open transaction's work.
            raise _refusal(
                "this statement needs the connecting role, which cannot act inside the file's "
                "open transaction in a contained build",
                "move it before BEGIN (or after COMMIT)",
                where,
            )
        cur.execute("select pg_catalog.current_setting('search_path')")
        search_path = cur.fetchone()[0]
        if self._admin is None:
            self._admin = pg.connect(self.admin_url, autocommit=True, role="scratch database")
        with self._admin.cursor() as acur:
            acur.execute("select pg_catalog.set_config('search_path', %s, false)", (search_path,))
            acur.execute(statement)
        text, path, offset = where
        log.info("%s:%d: run as the connecting role", path, line_col(text, offset)[0])


_IDLE = psycopg2.extensions.TRANSACTION_STATUS_IDLE
_FAILED = psycopg2.extensions.TRANSACTION_STATUS_INERROR


def _refusal(message: str, hint: str, where: tuple[str, str, int]) -> SchemaLoadError:
    text, path, offset = where
    line, col = line_col(text, offset)
    return SchemaLoadError(message, path=path, line=line, column=col, hint=hint)


@dataclass(frozen=True)
class _Special:
    """A statement the guard runs itself: its kind, the extension it names, and for ALTER
    DEFAULT PRIVILEGES the roles it names and its text without them."""

    kind: str
    extension: str = ""
    roles: tuple[str, ...] = ()
    mine: str = ""


def _without_roles(statement: str) -> str:
    """ALTER DEFAULT PRIVILEGES with its FOR ROLE / FOR USER clause blanked (pglast's
    scanner finds it; its deparser misprints WITH GRANT OPTION there)."""
    tokens = pglast.parser.scan(statement)
    for k, t in enumerate(tokens[:-1]):
        if t.name == "FOR" and tokens[k + 1].name in ("ROLE", "USER"):
            end = next(u for u in tokens[k + 2 :] if u.name in ("IN_P", "GRANT", "REVOKE"))
            return statement[: t.start] + " " * (end.start - t.start) + statement[end.start :]
    return statement


def as_admin_dump(script: str, role: str, admin: str) -> str:
    """A pg_dump script of a built database with the builder's name (an identifier token,
    never inside a string) replaced by the connecting role's: default privileges set for the
    builder restore, and compare, as the connecting role's, as before. pg_dump writes the
    statements naming a role (GRANT, ALTER DEFAULT PRIVILEGES) on one line each; only those
    lines are scanned (a whole dump has psql meta-commands the scanner rejects)."""
    quoted = '"' + admin.replace('"', '""') + '"'
    lines = script.splitlines(keepends=True)
    for k, line in enumerate(lines):
        if role not in line or line.lstrip().startswith("\\"):
            continue
        try:
            tokens = pglast.parser.scan(line)
        except pglast.parser.ParseError:  # a line of a multi-line string: not a role
            continue
        out, last = [], 0
        for t in tokens:
            if t.name == "IDENT" and line[t.start : t.end + 1].strip('"') == role:
                out.append(line[last : t.start] + quoted)
                last = t.end + 1
        lines[k] = "".join(out) + line[last:]
    return "".join(lines)


def _leakproof(options: Any) -> bool:
    return any(o.defname == "leakproof" and getattr(o.arg, "boolval", False) for o in options or ())


def _leakproof_words(statement: str) -> list[tuple[int, int]]:
    """The LEAKPROOF keywords of a CREATE FUNCTION (not NOT LEAKPROOF's)."""
    tokens = pglast.parser.scan(statement)
    return [
        (t.start, t.end + 1)
        for k, t in enumerate(tokens)
        if t.name == "LEAKPROOF" and (k == 0 or tokens[k - 1].name != "NOT")
    ]


def _mark_leakproof(node: ast.CreateFunctionStmt) -> str:
    """ALTER FUNCTION name(argument types) LEAKPROOF for the function being created."""
    name = ".".join('"' + str(n.sval).replace('"', '""') + '"' for n in node.funcname or ())
    inputs = (
        enums.FunctionParameterMode.FUNC_PARAM_IN,
        enums.FunctionParameterMode.FUNC_PARAM_INOUT,
        enums.FunctionParameterMode.FUNC_PARAM_VARIADIC,
        enums.FunctionParameterMode.FUNC_PARAM_DEFAULT,
    )
    types = [RawStream()(p.argType) for p in node.parameters or () if p.mode in inputs]
    kind = "procedure" if node.is_procedure else "function"
    return f"alter {kind} {name}({', '.join(types)}) leakproof"


def _classify(statement: str) -> tuple[_Special | None, list[tuple[int, int]]]:
    """How one statement is run (None: as it is) and the character ranges to blank."""
    try:
        parsed = pglast.parse_sql(statement)
    except pglast.parser.ParseError:  # the server reports it, at its line
        return None, []
    if len(parsed) != 1 or parsed[0].stmt is None:
        return None, []
    node = parsed[0].stmt
    if isinstance(node, ast.AlterOwnerStmt):
        return _Special(_SKIP), [(0, len(statement))]
    if isinstance(node, ast.AlterTableStmt) and node.cmds:
        if all(c.subtype == enums.AlterTableType.AT_ChangeOwner for c in node.cmds):
            return _Special(_SKIP), [(0, len(statement))]
    if isinstance(node, ast.CreateSchemaStmt) and node.authrole is not None:
        return None, _authorization(statement, node)
    if isinstance(node, ast.AlterDefaultPrivilegesStmt):
        named = [o for o in node.options or () if o.defname == "roles"]
        roles = tuple(str(r.rolename) for o in named for r in o.arg if r.rolename)
        return _Special(_ADMIN, roles=roles, mine=_without_roles(statement)), []
    if isinstance(node, ast.CreateExtensionStmt):
        return _Special(_ESCALATE, extension=str(node.extname)), []
    if isinstance(node, ast.CreateFunctionStmt) and _leakproof(node.options):
        return _Special(_LEAKPROOF, mine=_mark_leakproof(node)), _leakproof_words(statement)
    if isinstance(node, ast.AlterFunctionStmt) and _leakproof(node.actions):
        return _Special(_LEAKPROOF), []
    if isinstance(node, ast.CommentStmt) and node.objtype == enums.ObjectType.OBJECT_EXTENSION:
        target = node.object
        return _Special("comment", extension=str(getattr(target, "sval", ""))), []
    return None, []


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
