"""schemainspect's catalog queries, freed of conditions that depend on the inspecting role or
search_path (engine.without_session_filters): checked on the AST, without a server."""

from __future__ import annotations

import pglast
import pytest

from diffcheck import engine


def _calls(query: str) -> set[str]:
    """Names of every function called anywhere in ``query``."""
    from pglast.visitors import Visitor

    names: set[str] = set()

    class Calls(Visitor):  # type: ignore[misc]  # pglast is untyped
        def visit_FuncCall(self, ancestors, node):
            names.add(node.funcname[-1].sval)

    Calls()(pglast.parse_sql(query))
    return names


def test_query_without_filters_is_returned_as_is():
    q = "select p.oid, p.prosrc from pg_proc p where p.prokind = 'f'"
    assert engine.without_session_filters(q) is q


@pytest.mark.parametrize(
    "query",
    [
        # an AND list (the types and domains queries)
        "select t.oid from pg_type t where t.typtype = 'd' and pg_type_is_visible(t.oid)",
        # a whole WHERE that is an OR of privilege tests (the functions query)
        "select p.oid from pg_proc p where pg_has_role(p.proowner, 'USAGE') "
        "or has_function_privilege(p.oid, 'EXECUTE')",
        # a CASE that hides a value (function bodies and argument defaults)
        "select case when pg_has_role(p.proowner, 'USAGE') then p.prosrc else null end "
        "as definition from pg_proc p",
        # a parenthesized OR inside an AND list (the constraints query)
        "select c.conname from pg_constraint c join pg_class r on r.oid = c.conrelid "
        "where r.relkind = 'r' and (pg_has_role(r.relowner, 'USAGE') "
        "or has_table_privilege(r.oid, 'SELECT') or has_any_column_privilege(r.oid, 'SELECT'))",
    ],
    ids=["and-list", "where-or", "case", "nested-or"],
)
def test_session_dependent_calls_are_gone_and_the_rest_stays(query):
    out = engine.without_session_filters(query)
    assert out != query
    calls = _calls(out)
    assert not calls & engine._SESSION_DEPENDENT, out
    # Nothing else was removed: the selected columns and other conditions remain.
    before = _calls(query) - engine._SESSION_DEPENDENT
    assert before <= calls
    for kept in ("typtype", "relkind", "prosrc", "conname"):
        if kept in query:
            assert kept in out, out


def test_a_name_inside_a_string_is_not_a_call():
    q = "select 'pg_has_role(x)' as note from pg_class"
    assert engine.without_session_filters(q) == q


def test_every_schemainspect_query_still_parses_after_rewrite():
    for query, name in _texts():
        out = engine.without_session_filters(query)
        assert pglast.parse_sql(out), name
        assert not _calls(out) & engine._SESSION_DEPENDENT, name


def _texts() -> list[tuple[str, str]]:
    """schemainspect's query texts as the PostgreSQL 15 inspector picks them (no server:
    the version-dependent choice is made from a stand-in connection's version)."""

    class Cursor:
        connection = type("C", (), {"server_version": 150000})()

        def execute(self, *_a: object) -> None:
            raise AssertionError("no query may run")

    return engine._SchemainspectQueries(Cursor()).texts()
