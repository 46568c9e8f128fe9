"""Schema sources: a directory of .sql files, one .sql file, a database URL, SQLAlchemy
models (``models:pkg.mod:attr``) and a git revision (``git:REV:path``).

A non-database source is *materialized* into an empty scratch database, so PostgreSQL itself
parses and normalizes it; a database source is inspected where it is."""

from __future__ import annotations

import hashlib
import importlib
import io
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from . import dsn as dsnlib
from . import sandbox
from .errors import SchemaLoadError, SourceError
from .loader import Guard, Prepared, load, prepare_all, session_settings
from .pg import Connection

Progress = Callable[[str], None]


@dataclass
class Source:
    """Base class. ``label`` is how messages name the source."""

    label: str

    @property
    def is_database(self) -> bool:
        """True when the source is a live database rather than something to build."""
        return False

    def materialize(
        self,
        conn: Connection,
        url: str,
        progress: Progress | None = None,
        guard: Guard | None = None,
    ) -> None:
        """Build the schema into the empty database behind ``conn`` (autocommit); ``guard``
        neutralizes what a contained build's role may not run (see builder.py)."""
        raise NotImplementedError

    def content_key(self) -> str | None:
        """A hash of everything that determines the built schema, or None if unknown."""
        return None

    def files(self) -> list[tuple[str, str]]:
        """(display path, text) of the SQL files, in load order (SQL sources only)."""
        return []


@dataclass
class SqlFilesSource(Source):
    """SQL text from files; shared by directory, single-file and git sources."""

    loaded: list[tuple[str, str]] = field(default_factory=list)
    trusted: bool = False  # --trust-schema-sql: the sandbox's refusals are off
    _prepared: list[Prepared] | None = field(default=None, init=False, repr=False, compare=False)

    def files(self) -> list[tuple[str, str]]:
        return self.loaded

    def prepare(self) -> list[Prepared]:
        """Every file split and checked by the sandbox (once): a refused statement in any
        file fails here, before a statement of any file runs."""
        if self._prepared is None:
            self._prepared = prepare_all(self.loaded, trusted=self.trusted)
        return self._prepared

    def materialize(
        self,
        conn: Connection,
        url: str,
        progress: Progress | None = None,
        guard: Guard | None = None,
    ) -> None:
        prepared = self.prepare()
        baseline = session_settings(conn)  # what the build set up for itself, kept per file
        total = len(prepared)
        for k, item in enumerate(prepared, 1):
            if progress:
                progress(f"building scratch: file {k}/{total} {item.path}")
            load(conn, item, baseline=baseline, guard=guard)

    def content_key(self) -> str:
        h = hashlib.sha256()
        for path, text in self.loaded:
            h.update(path.encode() + b"\0" + text.encode() + b"\0")
        return h.hexdigest()


def _read_dir(root: Path, display_root: str) -> list[tuple[str, str]]:
    files = sorted(p for p in root.rglob("*.sql") if p.is_file())
    out = []
    for p in files:
        rel = p.relative_to(root).as_posix()
        out.append((f"{display_root.rstrip('/')}/{rel}", _read(p)))
    return out


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SchemaLoadError(f"not UTF-8 text ({exc.reason})", path=str(path)) from None
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}") from None


def dir_source(path: str, project_dir: str = ".") -> SqlFilesSource:
    """All ``*.sql`` under a directory, in sorted path order (or one file)."""
    root = Path(project_dir, path) if not Path(path).is_absolute() else Path(path)
    if not root.exists():
        raise SourceError(
            f"schema source not found: {path} (no such file or directory)",
            hint="give a directory of .sql files, a .sql file, postgresql://..., "
            "git:REV:path or models:pkg.module:attr",
        )
    if root.is_file():
        return SqlFilesSource(label=path, loaded=[(path, _read(root))])
    loaded = _read_dir(root, path)
    if not loaded:
        raise SourceError(f"no .sql files under {path}")
    return SqlFilesSource(label=path, loaded=loaded)


def git_source(spec: str, project_dir: str = ".") -> SqlFilesSource:
    """``REV:path`` read with ``git archive``: no checkout is touched."""
    rev, sep, path = spec.partition(":")
    if not sep or not rev or not path:
        raise SourceError(f"bad git source 'git:{spec}': expected git:REV:path")
    if rev.startswith("-"):  # never let a "revision" become an option of git archive
        raise SourceError(f"bad git source 'git:{spec}': revision may not start with '-'")
    try:
        proc = subprocess.run(
            ["git", "-C", project_dir, "archive", "--format=tar", rev, "--", path],
            capture_output=True,
        )
    except OSError as exc:
        raise SourceError(f"git:{spec}: cannot run git: {exc.strerror}") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise SourceError(f"git:{spec}: {msg[-1] if msg else 'git archive failed'}")
    loaded = []
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        # The same order as a directory source: path components compared one by one.
        members = sorted(tar.getmembers(), key=lambda m: PurePosixPath(m.name).parts)
        named = PurePosixPath(path)
        for member in members:
            # Every .sql under a directory; a file named exactly is read whatever its suffix,
            # as a single-file source is.
            wanted = member.name.endswith(".sql") or PurePosixPath(member.name) == named
            if member.isfile() and wanted:
                fh = tar.extractfile(member)
                assert fh is not None
                try:
                    text = fh.read().decode("utf-8")
                except UnicodeDecodeError:
                    raise SchemaLoadError(
                        "not UTF-8 text", path=f"git:{rev}:{member.name}"
                    ) from None
                loaded.append((f"git:{rev}:{PurePosixPath(member.name)}", text))
    if not loaded:
        raise SourceError(f"git:{spec}: no .sql files at that path")
    return SqlFilesSource(label=f"git:{spec}", loaded=loaded)


@dataclass
class DatabaseSource(Source):
    """An existing database, inspected in place (read-only)."""

    url: str = ""

    @property
    def is_database(self) -> bool:
        return True


def _one_line(text: object) -> str:
    """The first non-empty line of a message (errors are reported on one line)."""
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


@dataclass
class ModelsSource(Source):
    """SQLAlchemy metadata, materialized with ``metadata.create_all``."""

    target: str = ""
    project_dir: str = "."
    trusted: bool = False  # --trust-schema-sql: the sandbox's refusals are off
    _meta: Any = field(default=None, init=False, repr=False, compare=False)
    _ddl: list[str] | None = field(default=None, init=False, repr=False, compare=False)

    def metadata(self) -> Any:
        """Import ``pkg.mod:attr`` and return its MetaData (a declarative Base works too)."""
        if self._meta is not None:
            return self._meta
        module_name, sep, attr = self.target.partition(":")
        if not sep or not module_name or not attr:
            raise SourceError(f"bad models source 'models:{self.target}': expected pkg.module:attr")
        root = str(Path(self.project_dir).resolve())
        if root not in sys.path:
            sys.path.insert(0, root)
        importlib.invalidate_caches()  # a module written since the last import must be found
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise SourceError(
                f"models:{self.target}: cannot import {module_name}: {_one_line(exc)}",
                hint=f"run from (or pass --project-dir) the directory that contains "
                f"{module_name.split('.')[0]}",
            ) from None
        except Exception as exc:
            raise SourceError(
                f"models:{self.target}: importing {module_name} failed: "
                f"{type(exc).__name__}: {_one_line(exc)}"
            ) from None
        obj: Any = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise SourceError(f"models:{self.target}: {module_name} has no attribute {attr!r}")
            obj = getattr(obj, part)
        from sqlalchemy import MetaData

        meta = obj if isinstance(obj, MetaData) else getattr(obj, "metadata", None)
        if not isinstance(meta, MetaData):
            raise SourceError(
                f"models:{self.target}: {attr} is neither a MetaData nor a declarative Base"
            )
        self._meta = meta
        return meta

    def materialize(
        self,
        conn: Connection,
        url: str,
        progress: Progress | None = None,
        guard: Guard | None = None,
    ) -> None:
        from sqlalchemy import create_engine, schema
        from sqlalchemy.pool import NullPool

        meta = self.metadata()
        if progress:
            progress(f"building scratch from models:{self.target}")
        engine = create_engine(dsnlib.sqlalchemy_url(url), poolclass=NullPool)
        try:
            with engine.begin() as sa_conn:
                for name in _schemas(meta):
                    sa_conn.execute(schema.CreateSchema(name, if_not_exists=True))
                meta.create_all(sa_conn)
        except Exception as exc:
            first = _one_line(getattr(exc, "orig", None) or exc) or type(exc).__name__
            raise SourceError(f"models:{self.target}: create_all failed: {first}") from None
        finally:
            engine.dispose()

    def ddl(self) -> list[str]:
        """Every DDL statement ``create_all`` would emit (enums, comments and ``after_create``
        DDL hooks included), rendered without a database."""
        if self._ddl is not None:
            return self._ddl
        from sqlalchemy import create_mock_engine, schema
        from sqlalchemy.dialects import postgresql

        meta = self.metadata()
        emitted: list[str] = []
        # The "named" paramstyle leaves % alone: the text is the SQL the server would run,
        # not psycopg2's escaped form of it (CHECK (x %% 2 = 0)), which pglast must parse.
        plain = postgresql.psycopg2.dialect(paramstyle="named")

        def record(statement: Any, *_: Any, **__: Any) -> None:
            emitted.append(str(statement.compile(dialect=plain)).strip())

        mock = create_mock_engine("postgresql+psycopg2://", record)  # type: ignore[arg-type]
        for name in _schemas(meta):
            record(schema.CreateSchema(name, if_not_exists=True))
        try:
            meta.create_all(mock, checkfirst=False)
        except Exception as exc:
            raise SourceError(
                f"models:{self.target}: cannot render DDL: {type(exc).__name__}: {_one_line(exc)}"
            ) from None
        self._ddl = emitted
        return emitted

    def check(self) -> None:
        """Refuse, with the sandbox, any statement create_all would run that could act
        outside the scratch database (a DDL hook's, typically). The models themselves are
        Python, imported into this process: that is trusted code either way."""
        import json

        import pglast

        label = f"models:{self.target}"
        for text in self.ddl():
            try:
                tree = json.loads(pglast.parser.parse_sql_json(text))
            except pglast.parser.ParseError as exc:
                raise SchemaLoadError(f"generated DDL does not parse: {exc}", path=label) from None
            for raw in tree.get("stmts", []):
                kind = sandbox.refusal(raw["stmt"])
                if kind is not None:
                    raise sandbox.RefusedStatement(kind, path=label, line=None)

    def content_key(self) -> str:
        """A hash of every DDL statement ``create_all`` would emit (enums, comments and
        ``after_create`` DDL hooks included), not just the CREATE TABLEs."""
        h = hashlib.sha256(b"models\0")
        for text in _stable_order(self.ddl()):
            h.update(text.encode() + b"\0")
        return h.hexdigest()


def _schemas(meta: Any) -> list[str]:
    """Schemas the metadata's tables, types and sequences live in (create_all does not
    create schemas)."""
    names: set[str] = set()
    for table in meta.tables.values():
        if table.schema:
            names.add(table.schema)
        for column in table.columns:
            type_schema = getattr(column.type, "schema", None)
            if isinstance(type_schema, str) and type_schema:
                names.add(type_schema)
    for seq in getattr(meta, "_sequences", {}).values():
        if getattr(seq, "schema", None):
            names.add(seq.schema)
    return sorted(names)


def _stable_order(statements: list[str]) -> list[str]:
    """create_all emits a table's indexes in set order, which varies between processes:
    sort each run of CREATE INDEX statements so the content key is stable."""
    out: list[str] = []
    run: list[str] = []
    for text in statements:
        if text.upper().startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")):
            run.append(text)
            continue
        out.extend(sorted(run))
        run = []
        out.append(text)
    out.extend(sorted(run))
    return out


def resolve(spec: str, project_dir: str = ".", *, trusted: bool = False) -> Source:
    """Turn a source spec into a Source; the prefix decides the kind.

    SQL sources are checked by the sandbox now, before any database work (unless
    ``trusted``, i.e. --trust-schema-sql): a refused statement raises
    ``sandbox.RefusedStatement`` naming its file and line."""
    source = _resolve(spec, project_dir, trusted)
    if isinstance(source, SqlFilesSource):
        source.prepare()
    elif isinstance(source, ModelsSource) and not trusted:
        source.check()
    return source


def _resolve(spec: str, project_dir: str, trusted: bool) -> Source:
    spec = spec.strip()
    if not spec:
        raise SourceError("empty schema source")
    if "://" in spec:
        scheme = spec.split("://", 1)[0].split("+", 1)[0]
        if scheme not in ("postgresql", "postgres"):
            raise SourceError(f"unknown source prefix '{scheme}://' (expected postgresql://)")
        return DatabaseSource(label=dsnlib.mask(spec), url=dsnlib.normalize(spec))
    prefix, sep, rest = spec.partition(":")
    if sep and len(prefix) > 1:  # a one-letter prefix is a Windows drive, not a source kind
        if prefix == "git":
            return replace(git_source(rest, project_dir), trusted=trusted)
        if prefix == "models":
            models = ModelsSource(label=spec, target=rest, project_dir=project_dir, trusted=trusted)
            models.metadata()  # import now: a bad module fails before any database work
            return models
        if prefix in ("dir", "file"):
            return replace(dir_source(rest, project_dir), trusted=trusted)
        raise SourceError(
            f"unknown source prefix '{prefix}:' (expected a path, postgresql://, git: or models:)"
        )
    return replace(dir_source(spec, project_dir), trusted=trusted)
