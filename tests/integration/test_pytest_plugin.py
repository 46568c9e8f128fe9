"""The pytest plugin, exercised through pytester in a subprocess (a real inner pytest run)."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from typing import Any

import pytest

pytest_plugins = ["pytester"]

TABLE = "create table public.widgets (id integer primary key, name text not null);\n"
NEW_COLUMN = "alter table public.widgets add column colour text;\n"


def _plugin_args() -> list[str]:
    """Load the plugin explicitly unless its entry point is installed (loading a module both
    ways makes pluggy refuse the second registration)."""
    installed = {ep.name for ep in importlib.metadata.entry_points(group="pytest11")}
    return [] if "diffcheck" in installed else ["-p", "diffcheck.pytest_plugin"]


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider", *args)


@pytest.fixture
def widgets_db(make_db: Callable[..., Any]) -> Any:
    return make_db(TABLE)


def test_passes_when_the_database_matches(pytester: pytest.Pytester, widgets_db: Any) -> None:
    pytester.makefile(".sql", **{"schema/10_widgets": TABLE})
    pytester.makepyfile(
        test_inner="""
        def test_matches(diffcheck_assert_matches):
            diffcheck_assert_matches()
        """
    )
    result = _run(pytester, f"--diffcheck-url={widgets_db.url}")
    result.assert_outcomes(passed=1)


def test_fails_with_the_sql_diff(pytester: pytest.Pytester, widgets_db: Any) -> None:
    pytester.makefile(".sql", **{"db/schema/10_widgets": TABLE + NEW_COLUMN})
    pytester.makeini("[pytest]\ndiffcheck_desired = db/schema\n")
    pytester.makepyfile(
        test_inner=f"""
        def test_differs(diffcheck_assert_matches):
            diffcheck_assert_matches({widgets_db.url!r})
        """
    )
    result = _run(pytester)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "does not match db/schema: 1 statement(s) would make it match" in out
    assert 'alter table "public"."widgets" add column "colour" text;' in out
    # The failure is the message, not a traceback into diffcheck's internals.
    assert "commands.py" not in out


def test_filters_and_explicit_desired(pytester: pytest.Pytester, widgets_db: Any) -> None:
    widgets_db.execute("create schema scratchpad; create table scratchpad.notes (t text);")
    pytester.makefile(".sql", **{"other/10_widgets": TABLE})
    pytester.makepyfile(
        test_inner=f"""
        import pytest

        URL = {widgets_db.url!r}

        def test_excluded_schema_is_ignored(diffcheck_assert_matches):
            diffcheck_assert_matches(URL, "other", exclude_schemas=["scratchpad"])

        def test_extra_schema_is_drift(diffcheck_assert_matches):
            diffcheck_assert_matches(URL, "other")

        def test_helper_raises_assertion_error():
            from diffcheck.pytest_plugin import assert_schema_matches

            with pytest.raises(AssertionError, match='drop table "scratchpad"."notes"'):
                assert_schema_matches(URL, "other")

        def test_broken_schema_fails_with_file_and_line(diffcheck_assert_matches):
            diffcheck_assert_matches(URL, "broken")
        """
    )
    pytester.makefile(".sql", **{"broken/10_bad": "create table t (\n  id integer,\n  oops\n);\n"})
    result = _run(pytester, "-rf")
    result.assert_outcomes(passed=2, failed=2)
    out = result.stdout.str()
    assert 'drop table "scratchpad"."notes";' in out
    assert "diffcheck: broken/10_bad.sql:4:" in out


def test_plugin_is_cheap_when_unused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner="""
        import sys

        def test_nothing_heavy_imported():
            heavy = {"diffcheck.commands", "migra", "sqlalchemy", "psycopg2"}
            assert not heavy & set(sys.modules)
        """
    )
    result = _run(pytester, "--help")
    assert "--diffcheck-desired=SOURCE" in result.stdout.str()
    assert "--diffcheck-url=URL" in result.stdout.str()
    result = _run(pytester)
    result.assert_outcomes(passed=1)
