"""The sandbox's plan mode, transaction control in plans, the sidecar check, and the two
settings that change how statements are split (no database)."""

from __future__ import annotations

import json

import pglast
import pytest

from diffcheck import plan as planlib
from diffcheck import sandbox, untrusted
from diffcheck.errors import PlanError, SchemaLoadError
from diffcheck.fixups.common import refusal as diffcheck_refusal


def _plan_refusal(text: str) -> str | None:
    (stmt,) = json.loads(pglast.parser.parse_sql_json(text))["stmts"]
    return sandbox.refusal(stmt["stmt"], plan_text=text)


REFUSED_IN_PLAN = [
    ("drop database victim", "DROP DATABASE"),
    ("create database x", "CREATE DATABASE"),
    ("alter system set work_mem = '1MB'", "ALTER SYSTEM"),
    ("create role r superuser", "CREATE ROLE"),
    ("alter role r createdb", "ALTER ROLE"),
    ("grant pg_execute_server_program to r", "GRANT of role membership"),
    ("create tablespace t location '/tmp'", "CREATE TABLESPACE"),
    ("copy (select 1) to program 'touch /tmp/x'", "COPY TO PROGRAM"),
    ("copy t from program 'id'", "COPY FROM PROGRAM"),
    ("copy t to '/tmp/t.csv'", "COPY TO a file"),
    ("copy t from '/etc/passwd'", "COPY FROM a file"),
    ("load 'plpgsql'", "LOAD"),
    ("checkpoint", "CHECKPOINT"),
    ("reindex system x", "REINDEX SYSTEM"),
    ("reindex database x", "REINDEX DATABASE"),
    ("do $$ begin perform 1; end $$", "a DO block"),
    ("do $$ begin raise exception '%', pg_read_file('/etc/passwd'); end $$", "a DO block"),
    ("set role postgres", "SET ROLE"),
    ("set session_replication_role = replica", "SET session_replication_role"),
    ("select pg_terminate_backend(1)", "a call of pg_terminate_backend"),
    ("select app.evil()", "a call of app.evil"),
    ("delete from t where id in (select pg_terminate_backend(pid) from x)", "a call of"),
    ("update t set a = pg_read_file('/etc/passwd')", "a call of pg_read_file"),
    ("insert into t select * from dblink('x', 'y') as r(a int)", "a call of dblink"),
    ("with d as (delete from t returning lo_import('/x')) select 1", "a call of lo_import"),
    ("create table c as select pg_ls_dir('.')", "a call of pg_ls_dir"),
    ("call app.p()", "CALL"),
    ("explain analyze delete from t", "EXPLAIN"),
    ("commit", "COMMIT"),
    ("prepare transaction 'x'", "PREPARE TRANSACTION"),
]


@pytest.mark.parametrize(("text", "kind"), REFUSED_IN_PLAN)
def test_plan_mode_refuses_what_acts_outside_the_clone(text: str, kind: str) -> None:
    why = _plan_refusal(text)
    assert why is not None and why.startswith(kind), why


ALLOWED_IN_PLAN = [
    "update public.t set a = 'y' where id < 10",
    "delete from public.t where id in (select id from public.u)",
    "insert into public.t select g, 'x' from generate_series(1, 3) g",
    "merge into t using u on t.id = u.id when matched then delete",
    "truncate public.t",
    "copy public.t from stdin",
    "set local lock_timeout = '5s'",
    "set check_function_bodies = off",
    "create index concurrently t_a on public.t (a)",
    "alter type public.mood add value 'meh' after 'ok'",
    "lock table public.t in access exclusive mode",
    "analyze public.t",
    "reindex table public.t",
    "refresh materialized view public.mv",
    "select 1",
    "create table public.n (id int)",
    diffcheck_refusal("the column's type cannot be changed"),
]


@pytest.mark.parametrize("text", ALLOWED_IN_PLAN)
def test_plan_mode_allows_what_plans_legitimately_hold(text: str) -> None:
    assert _plan_refusal(text) is None


def test_schema_mode_still_refuses_dml() -> None:
    (stmt,) = json.loads(pglast.parser.parse_sql_json("update t set a = 1"))["stmts"]
    assert sandbox.refusal(stmt["stmt"]) == "UPDATE"


PLAN = """-- diffcheck plan ---
-- @format: 1
-- @name: p
-- ---

create table public.a (id int);

-- a hand edit
{stmt}

create table public.b (id int);
"""


@pytest.mark.parametrize(
    ("stmt", "word"),
    [
        ("COMMIT;", "COMMIT"),
        ("begin;", "BEGIN"),
        ("end;", "COMMIT"),
        ("rollback;", "ROLLBACK"),
        ("savepoint s;", "SAVEPOINT"),
        ("release savepoint s;", "RELEASE SAVEPOINT"),
        ("rollback to savepoint s;", "ROLLBACK TO SAVEPOINT"),
        ("prepare transaction 'x';", "PREPARE TRANSACTION"),
        ("commit prepared 'x';", "COMMIT PREPARED"),
    ],
)
def test_transaction_control_is_refused_at_load_with_its_line(stmt: str, word: str) -> None:
    with pytest.raises(PlanError) as exc:
        planlib.parse(PLAN.format(stmt=stmt), name="p")
    assert str(exc.value) == (
        f"<plan>:9: {word} is not allowed in a plan (diffcheck runs the plan in one transaction)"
    )


def test_plan_lines_point_at_each_statement() -> None:
    p = planlib.parse(PLAN.format(stmt="update public.a set id = 2;"), name="p")
    assert p.lines == [6, 9, 11]
    p.path = None
    untrusted.check_plan(p, trusted=False)  # DML passes plan mode
    bad = planlib.parse(PLAN.format(stmt="alter system set work_mem = 1;"), name="p")
    with pytest.raises(sandbox.RefusedStatement) as exc:
        untrusted.check_plan(bad, trusted=False)
    assert str(exc.value) == "<plan>:9: ALTER SYSTEM is not allowed in a plan"
    untrusted.check_plan(bad, trusted=True)  # --trust-schema-sql


DUMP = (
    "--\n-- PostgreSQL database dump\n--\n\n\\restrict Ab12\n\n"
    "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n"
    "CREATE TABLE public.t (\n    id integer\n);\n\n\\unrestrict Ab12\n"
)


def test_sidecar_check_blanks_pg_dumps_restrict_lines_keeping_lines() -> None:
    out = untrusted.check_script(DUMP, "p.to.sql", False)
    assert "\\" not in out and out.count("\n") == DUMP.count("\n") and len(out) == len(DUMP)


@pytest.mark.parametrize("meta", ["\\! touch /tmp/pwned", "\\o |sh", "\\copy t to 'x'"])
@pytest.mark.parametrize("trusted", [False, True])
def test_sidecar_meta_commands_are_refused_even_when_trusted(meta: str, trusted: bool) -> None:
    text = DUMP + meta + "\n"
    with pytest.raises(SchemaLoadError) as exc:
        untrusted.check_script(text, "p.to.sql", trusted)
    command = meta.split()[0]
    assert str(exc.value).startswith(f"p.to.sql:14: psql meta-command {command} is not allowed")


def test_sidecar_meta_command_inside_a_statement_is_refused() -> None:
    text = DUMP + "CREATE TABLE public.u (\n\\! id\n    id int);\n"
    with pytest.raises(SchemaLoadError, match=r"^p.to.sql:15: psql meta-command \\! is not"):
        untrusted.check_script(text, "p.to.sql", False)


def test_sidecar_statements_go_through_the_sandbox() -> None:
    text = DUMP + "CREATE ROLE evil SUPERUSER;\n"
    with pytest.raises(sandbox.RefusedStatement) as exc:
        untrusted.check_script(text, "p.to.sql", False)
    assert str(exc.value) == "p.to.sql:14: CREATE ROLE is not allowed in a plan sidecar"
    assert "\\" not in untrusted.check_script(text, "p.to.sql", True)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("set standard_conforming_strings = off", True),
        ("set standard_conforming_strings to 0", True),
        ("select pg_catalog.set_config('standard_conforming_strings', 'off', false)", True),
        ("set client_encoding = 'SJIS'", True),
        ("set names 'big5'", True),
        ("set client_encoding = 'Shift_JIS_2004'", True),
        ("select set_config('client_encoding', 'gbk', false)", True),
        ("set standard_conforming_strings = on", False),  # pg_dump's preamble
        ("set client_encoding = 'UTF8'", False),  # pg_dump's preamble
        ("set client_encoding = 'LATIN1'", False),
        ("reset standard_conforming_strings", False),
    ],
)
def test_settings_that_change_statement_splitting_are_refused(text: str, refused: bool) -> None:
    """With standard_conforming_strings off (or a client-only encoding) the server ends a
    string where PostgreSQL's scanner, which split the file, did not: ``'a\\', ' ; create
    role x; -- '`` is one SELECT of two strings to the sandbox, and CREATE ROLE to the
    server."""
    (stmt,) = json.loads(pglast.parser.parse_sql_json(text))["stmts"]
    why = sandbox.refusal(stmt["stmt"])
    assert (why is not None) == refused, why
