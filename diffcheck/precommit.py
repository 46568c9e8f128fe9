"""``python -m diffcheck.precommit``: the pre-commit hook that builds the desired schema.

Every file is first split with PostgreSQL's own parser (no server needed, so a syntax error is
reported at once); then the whole source is built into an empty scratch database, on
``--scratch-url`` or, by default, on a throwaway embedded server. A broken file is reported
as ``path:line:col: message`` and the hook exits 1; otherwise it prints "schema builds
cleanly" and exits 0. The scratch database is dropped however the build ends.

The hook never connects to a live database: ``--live``/``DATABASE_URL``/``DIFFCHECK_LIVE_URL``
are ignored here, and scratch databases go to the embedded server unless ``--scratch-url``
(or ``DIFFCHECK_SCRATCH_URL``, or ``scratch-url`` in ``[tool.diffcheck]``) names a server.

Exit codes: 0 builds cleanly; 1 a file does not build, or any other error.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import time
import warnings
from typing import TYPE_CHECKING, Any

from .errors import DiffcheckError, SchemaLoadError, SourceError

if TYPE_CHECKING:
    from .loader import Prepared

_LIVE_VARS = ("DATABASE_URL", "DIFFCHECK_LIVE_URL")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diffcheck-precommit",
        description="Build the desired schema on a scratch database; report file:line errors.",
    )
    parser.add_argument(
        "--desired",
        metavar="SOURCE",
        help="Desired schema source (default: [tool.diffcheck] desired, then schema/).",
    )
    parser.add_argument(
        "--scratch-url",
        metavar="URL",
        help="Server for the scratch database (default: a throwaway embedded server).",
    )
    parser.add_argument(
        "--trust-schema-sql",
        action="store_true",
        help="Run the schema files without the statement sandbox's check (see README).",
    )
    parser.add_argument(
        "--project-dir", default=".", help="Where pyproject.toml and schema/ live (default .)."
    )
    # pre-commit passes changed file names unless pass_filenames is false; they are not
    # needed (the whole schema is built), so they are accepted and ignored.
    parser.add_argument("filenames", nargs="*", help=argparse.SUPPRESS)
    return parser


def check_syntax(files: list[tuple[str, str]]) -> None:
    """Raise ``SchemaLoadError`` for the first syntax error of any file, without a server."""
    import pglast
    from pglast.parser import ParseError

    from .loader import line_col, split

    for path, text in files:
        try:
            split(text, path)
        except TypeError:
            # A parse error without a position ("at end of input"): point at the end.
            try:
                pglast.parse_sql(text)
            except ParseError as exc:
                line, col = line_col(text, len(text.rstrip()))
                raise SchemaLoadError(exc.args[0], path=path, line=line, column=col) from None
            raise


def locate(url: str, files: list[Prepared], failing: str) -> SchemaLoadError | None:
    """Load ``files`` into the empty database at ``url``, the ``failing`` one statement by
    statement, and return the error of the first statement that fails (None if none does)."""
    import psycopg2

    from . import pg
    from .loader import Prepared, line_col, load, session_settings

    with pg.connection(url, autocommit=True, role="scratch database") as conn:
        baseline = session_settings(conn)
        for prepared in files:
            if prepared.path != failing:
                load(conn, prepared, baseline=baseline)
                continue
            text = prepared.text
            load(conn, Prepared(prepared.path, text, []), baseline=baseline)
            with conn.cursor() as cur:
                for st in prepared.statements:
                    if st.skip:
                        continue
                    try:
                        cur.execute(st.run_text)
                    except psycopg2.Error as exc:
                        diag = exc.diag
                        message = diag.message_primary or str(exc).strip().splitlines()[0]
                        pos = diag.statement_position
                        if not pos and diag.internal_position and diag.context:
                            message = f"{message} ({diag.context.splitlines()[0]})"
                        offset = st.offset + min(int(pos) - 1 if pos else 0, len(st.text))
                        line, col = line_col(text, offset)
                        return SchemaLoadError(
                            message,
                            path=prepared.path,
                            line=line,
                            column=col,  # the statement's start when no position
                            hint=diag.message_hint,
                        )
            return None
    return None


def build(
    desired: str | None, scratch_url: str | None, project_dir: str = ".", trusted: bool = False
) -> str:
    """Build the desired source on a scratch database; returns a one-line summary.

    Raises ``SchemaLoadError`` (with path, line and column) when a file does not build."""
    from . import config as configlib
    from . import sources
    from .workspace import Workspace

    env = {k: v for k, v in os.environ.items() if k not in _LIVE_VARS}
    settings = configlib.build(
        {"desired": desired, "scratch_url": scratch_url, "trust_schema_sql": trusted or None},
        env=env,
        project_dir=project_dir,
    )
    if settings.trust_schema_sql:
        print("warning: --trust-schema-sql: schema files run unchecked", file=sys.stderr)
    # Never live: scratch databases go to --scratch-url or to the embedded server.
    settings = dataclasses.replace(settings, live=None)
    started = time.monotonic()
    source = sources.resolve(
        settings.desired, settings.project_dir, trusted=settings.trust_schema_sql
    )
    if source.is_database:
        raise SourceError(f"{source.label} is a database: there is nothing to build")
    files = source.files()  # already split, syntax-checked and sandbox-checked by resolve
    with Workspace(settings) as ws:  # drops every scratch database on every exit path
        try:
            ws.build(source)
        except SchemaLoadError as exc:
            if exc.column is not None or exc.path not in dict(files):
                raise
            # The server gave no position (typical of DDL naming a missing object), so the
            # loader could only name the first statement of the failed batch. Rebuild on a
            # fresh scratch database, this file one statement at a time, to find the one.
            prepared = source.prepare() if isinstance(source, sources.SqlFilesSource) else []
            raise locate(ws.new_scratch().url, prepared, exc.path) or exc from None
    what = f"{len(files)} file(s)" if files else "models"
    return f"{source.label}: schema builds cleanly ({what}, {time.monotonic() - started:.1f}s)"


def _terminate(signum: int, _frame: Any) -> None:
    # SIGTERM becomes SystemExit so the scratch database is dropped on the way out.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the hook; returns the exit code."""
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from .dsn import mask

    try:
        summary = build(args.desired, args.scratch_url, args.project_dir, args.trust_schema_sql)
    except SchemaLoadError as exc:
        print(exc)
        return 1
    except DiffcheckError as exc:
        words = str(exc).split(" ")
        print(
            "diffcheck-precommit: error: " + " ".join(mask(w) if "://" in w else w for w in words),
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("diffcheck-precommit: interrupted", file=sys.stderr)
        return 130
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
