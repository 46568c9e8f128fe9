"""A pytest plugin: assert that a test database matches the desired schema.

Enabled by the ``pytest11`` entry point ``diffcheck`` (or ``-p diffcheck.pytest_plugin``).
It adds two options, each also settable as an ini key (``[pytest]`` or
``[tool.pytest.ini_options]``):

``--diffcheck-desired SOURCE`` (ini ``diffcheck_desired``, default ``schema``)
    The desired schema source, as for ``diffcheck check --desired``; relative paths are
    taken from pytest's rootdir, where ``[tool.diffcheck]`` is read from pyproject.toml too.
``--diffcheck-url URL`` (ini ``diffcheck_url``)
    The database to check when the test does not pass one (then ``DIFFCHECK_LIVE_URL`` and
    ``DATABASE_URL`` apply, as for the CLI).

and one fixture, ``diffcheck_assert_matches``::

    def test_migrations_produce_the_declared_schema(diffcheck_assert_matches, db_url):
        run_my_migrations(db_url)
        diffcheck_assert_matches(db_url)                       # against --diffcheck-desired
        diffcheck_assert_matches(db_url, "schema", exclude_schemas=["audit"])

which fails the test with the SQL that would turn the database into the desired schema.
Outside pytest fixtures, :func:`assert_schema_matches` does the same and raises
``AssertionError``.

Nothing heavy (migra, SQLAlchemy, psycopg2) is imported until a check actually runs, so the
plugin costs nothing in test sessions that do not use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .commands import DiffResult

DEFAULT_DESIRED = "schema"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--diffcheck-desired`` / ``--diffcheck-url`` and their ini keys."""
    group = parser.getgroup("diffcheck", "diffcheck schema assertions")
    group.addoption(
        "--diffcheck-desired",
        dest="diffcheck_desired",
        default=None,
        metavar="SOURCE",
        help="Desired schema source for diffcheck_assert_matches "
        f"(default: ini diffcheck_desired, then {DEFAULT_DESIRED!r}).",
    )
    group.addoption(
        "--diffcheck-url",
        dest="diffcheck_url",
        default=None,
        metavar="URL",
        help="Database diffcheck_assert_matches checks when a test passes none.",
    )
    parser.addini(
        "diffcheck_desired",
        "Desired schema source for diffcheck_assert_matches.",
        default=DEFAULT_DESIRED,
    )
    parser.addini(
        "diffcheck_url",
        "Database diffcheck_assert_matches checks when a test passes none.",
        default="",
    )


def check_schema(
    url: str | None, desired: str = DEFAULT_DESIRED, *, project_dir: str = ".", **settings: Any
) -> DiffResult:
    """Run ``diffcheck check`` for ``url`` against ``desired`` and return the result.

    ``settings`` are any further settings by their ``Settings`` field name, e.g.
    ``include_schemas=["app"]``, ``exclude=["app.tmp_*"]``, ``scratch_url="embedded"``."""
    from . import commands
    from . import config as configlib

    flags: dict[str, Any] = {"live": url, "desired": desired, **settings}
    return commands.check(configlib.build(flags, project_dir=project_dir))


def mismatch_message(result: DiffResult) -> str:
    """What a failed assertion says: which sides differ and the SQL that reconciles them."""
    from . import render

    n = len(result.statements)
    return (
        f"database {result.source} does not match {result.target}: "
        f"{n} statement(s) would make it match:\n\n"
        + render.sql_text(result.statements, result.hazards)
    )


def assert_schema_matches(
    url: str | None, desired: str = DEFAULT_DESIRED, *, project_dir: str = ".", **settings: Any
) -> None:
    """Raise ``AssertionError`` showing the SQL diff unless the database at ``url`` matches
    ``desired``. Errors (a schema file that does not build, an unreachable server) raise
    ``diffcheck.errors.DiffcheckError``."""
    __tracebackhide__ = True
    result = check_schema(url, desired, project_dir=project_dir, **settings)
    if not result.in_sync:
        raise AssertionError(mismatch_message(result))


def _option(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(name)
    if value:
        return str(value)
    ini = config.getini(name)
    return str(ini) if ini else None


@pytest.fixture
def diffcheck_assert_matches(
    request: pytest.FixtureRequest,
) -> Callable[..., None]:
    """``(url=None, desired=None, **settings) -> None``: fail the test, showing the SQL diff,
    unless the database matches the desired schema."""
    config = request.config
    default_desired = _option(config, "diffcheck_desired") or DEFAULT_DESIRED
    default_url = _option(config, "diffcheck_url")
    project_dir = str(config.rootpath)

    def assert_matches(url: str | None = None, desired: str | None = None, **settings: Any) -> None:
        __tracebackhide__ = True
        from .errors import DiffcheckError

        try:
            result = check_schema(
                url or default_url,
                desired or default_desired,
                project_dir=project_dir,
                **settings,
            )
        except DiffcheckError as exc:
            pytest.fail(f"diffcheck: {exc}", pytrace=False)
        if not result.in_sync:
            pytest.fail(mismatch_message(result), pytrace=False)

    return assert_matches
