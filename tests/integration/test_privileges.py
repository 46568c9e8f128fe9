"""Privileges (diffcheck.fixups.privileges): GRANT / REVOKE and ALTER DEFAULT PRIVILEGES.

With ``--with-privileges``, for every kind of ACL: ``check`` exits 2 and shows the statement,
``apply --auto`` converges, ``check`` then exits 0, and live's GRANT / REVOKE / ALTER DEFAULT
PRIVILEGES lines in ``pg_dump`` equal those of a database built from the desired SQL. Every
pair runs in both directions. Without ``--with-privileges`` grants are not compared at all.

Roles are cluster-wide: they are created idempotently, with a ``dc_`` prefix, and never
dropped (other tests and parallel runs share them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pglast
import pytest
from conftest import DB, Run
from pglast import ast

from diffcheck import engine, pg

ROLES = "".join(
    f"DO $$ BEGIN CREATE ROLE {r}; EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n"
    for r in ('"dc_o\'brien"', '"dc_read only"', "dc_reader", '"dc_""quoted"""')
)
OBRIEN, READ_ONLY, READER, QUOTED = "dc_o'brien", "dc_read only", "dc_reader", 'dc_"quoted"'

T = "create table public.t (id int, a int, b int);\n"
V = T + "create view public.v as select id, a, b from public.t;\n"
F = "create function public.f(x int) returns int language sql as 'select x';\n"


@dataclass(frozen=True)
class Pair:
    """Live and desired SQL (roles are prepended), and text ``check`` must show."""

    id: str
    live: str
    desired: str
    shows: str


PAIRS = [
    Pair(
        "table-hostile-roles",
        T,
        T + "grant select, insert on public.t to \"dc_o'brien\";"
        ' grant update on public.t to "dc_read only", "dc_""quoted""";'
        " grant references on public.t to public;",
        'grant insert, select on table "public"."t" to "dc_o\'brien";',
    ),
    Pair(
        "table-revoke-some",
        T + 'grant select, insert, update, delete on public.t to "dc_read only";',
        T + 'grant select, insert on public.t to "dc_read only";',
        'revoke update, delete on table "public"."t" from "dc_read only";',
    ),
    Pair(
        "view-recreated-keeps-grants",
        V + "grant select on public.v to \"dc_o'brien\";",
        T + "create view public.v as select id, a from public.t;"
        " grant select on public.v to \"dc_o'brien\"; grant select on public.v to dc_reader;",
        'grant select on table "public"."v" to "dc_o\'brien";',
    ),
    Pair(
        "matview",
        T + "create materialized view public.mv as select id from public.t;",
        T + "create materialized view public.mv as select id from public.t;"
        " grant select on public.mv to dc_reader;",
        'grant select on table "public"."mv" to "dc_reader";',
    ),
    Pair(
        "function-revoke-from-public",
        F,
        F + "revoke all on function public.f(int) from public;"
        " grant execute on function public.f(int) to \"dc_o'brien\";",
        'revoke execute on function "public"."f"(integer) from public;',
    ),
    Pair(
        "function-recreated-new-result-type",
        F + "revoke all on function public.f(int) from public;",
        "create function public.f(x int) returns bigint language sql as 'select x::bigint';"
        " revoke all on function public.f(int) from public;"
        " grant execute on function public.f(int) to dc_reader;",
        'revoke execute on function "public"."f"(integer) from public;',
    ),
    Pair(
        "procedure-and-aggregate",
        "create procedure public.p() language sql as 'select 1';"
        " create aggregate public.ag(int) (sfunc = int4pl, stype = int);",
        "create procedure public.p() language sql as 'select 1';"
        " create aggregate public.ag(int) (sfunc = int4pl, stype = int);"
        " revoke execute on procedure public.p() from public;"
        ' grant execute on function public.ag(int) to "dc_read only";',
        'revoke execute on procedure "public"."p"() from public;',
    ),
    Pair(
        "column-grants",
        T + "grant select on public.t to dc_reader;",
        T + "grant select (a), update (b) on public.t to dc_reader;"
        ' grant insert (id, "a") on public.t to "dc_read only";',
        'grant select ("a") on table "public"."t" to "dc_reader";',
    ),
    Pair(
        "with-grant-option",
        T + "grant select, insert on public.t to dc_reader;",
        T + "grant select on public.t to dc_reader with grant option; grant insert on public.t"
        " to dc_reader; grant usage on schema public to \"dc_o'brien\" with grant option;",
        'grant select on table "public"."t" to "dc_reader" with grant option;',
    ),
    Pair(
        "sequence",
        "create sequence public.s;",
        "create sequence public.s; grant usage, select on sequence public.s to dc_reader;",
        'grant select, usage on sequence "public"."s" to "dc_reader";',
    ),
    Pair(
        "schema-usage-create",
        "create schema app; create table app.t (id int);",
        "create schema app; create table app.t (id int);"
        ' grant usage on schema app to dc_reader; grant usage, create on schema app to "dc_read'
        ' only";',
        'grant usage on schema "app" to "dc_reader";',
    ),
    Pair(
        "types-and-domains",
        # schemainspect only sees domains on the search path: public.
        "create type public.e as enum ('a'); create domain public.d as int;"
        " create type public.r as range (subtype = int4); create type public.c as (x int);",
        "create type public.e as enum ('a'); create domain public.d as int;"
        " create type public.r as range (subtype = int4); create type public.c as (x int);"
        " grant usage on type public.e to dc_reader; revoke usage on domain public.d from public;"
        ' grant usage on type public.r to "dc_o\'brien"; grant usage on type public.c to'
        " dc_reader;",
        'revoke usage on domain "public"."d" from public;',
    ),
    Pair(
        "default-privileges",
        "create schema app;",
        "create schema app;"
        " alter default privileges in schema app grant select on tables to dc_reader;"
        ' alter default privileges in schema app grant usage on sequences to "dc_read only";'
        " alter default privileges revoke execute on functions from public;"
        " alter default privileges for role \"dc_o'brien\" grant usage on types to dc_reader"
        " with grant option;",
        'alter default privileges for role "postgres" in schema "app" grant select on tables'
        ' to "dc_reader";',
    ),
    Pair(
        "new-objects-with-grants",
        "create schema app;",
        "create schema app; create table app.n (id int); create view app.nv as select 1 as x;"
        " create function app.nf() returns int language sql as 'select 1';"
        " revoke all on function app.nf() from public; grant execute on function app.nf()"
        " to dc_reader; grant select on app.n, app.nv to \"dc_o'brien\";"
        " create sequence app.ns; grant usage on sequence app.ns to dc_reader;",
        'grant select on table "app"."nv" to "dc_o\'brien";',
    ),
]


# Live's default privileges apply to what the plan creates (a new table, a view re-created
# over a re-typed column, a new function): the statements must converge from either start.
UNDER_DEFAULTS = (
    "create schema app;"
    " alter default privileges in schema app grant select on tables to dc_reader;"
    " alter default privileges revoke execute on functions from public;"
)
PAIRS.append(
    Pair(
        "created-under-default-privileges",
        UNDER_DEFAULTS + "create table app.t (id int, a int);"
        " create view app.v as select id, a from app.t;"
        " grant select on app.v to \"dc_o'brien\"; grant select (a) on app.v to \"dc_read only\";",
        UNDER_DEFAULTS + "create table app.t (id int, a bigint);"
        " create view app.v as select id, a from app.t;"
        " grant select on app.v to \"dc_o'brien\"; grant select (a) on app.v to \"dc_read only\";"
        " create table app.n (id int);"
        " create function app.nf() returns int language sql as 'select 1';",
        'revoke execute on function "app"."nf"() from public;',
    )
)


def _params() -> list[object]:
    out: list[object] = []
    for p in PAIRS:
        out.append(pytest.param(p.live, p.desired, p.shows, id=p.id))
        out.append(pytest.param(p.desired, p.live, "", id=p.id + "-reverse"))
    return out


def acl_lines(url: str) -> list[str]:
    """pg_dump's GRANT / REVOKE / ALTER DEFAULT PRIVILEGES lines, sorted."""
    dump = pg.pg_dump_schema(url, 15, privileges=True)
    keep = ("GRANT ", "REVOKE ", "ALTER DEFAULT PRIVILEGES ")
    return sorted(ln for ln in dump.splitlines() if ln.startswith(keep))


def _desired_dir(tmp_path: Path, sql: str) -> Path:
    path = tmp_path / "desired"
    path.mkdir(exist_ok=True)
    # No ROLES: the scratch build is contained and may not create roles; every test creates
    # them first, building live.
    (path / "schema.sql").write_text(sql)
    return path


def _cli(run_cli: Callable[..., Run], command: str, live: DB, desired: Path, *extra: str) -> Run:
    args = [command, "--live", live.url, "--desired", str(desired), *extra]
    if command == "apply":
        args += ["--auto", "--allow-hazard", "all"]
    return run_cli(*args)


@pytest.mark.parametrize(("live_sql", "desired_sql", "shows"), _params())
def test_check_apply_converges(
    make_db: Callable[..., DB],
    run_cli: Callable[..., Run],
    tmp_path: Path,
    live_sql: str,
    desired_sql: str,
    shows: str,
) -> None:
    live = make_db(ROLES + live_sql)
    desired = _desired_dir(tmp_path, desired_sql)
    want = make_db(ROLES + desired_sql)
    assert acl_lines(live.url) != acl_lines(want.url), "the pair differs in nothing"

    run = _cli(run_cli, "check", live, desired, "--with-privileges")
    assert run.code == 2, (run.code, run.out, run.err)
    assert shows in run.out, run.out
    applied = _cli(run_cli, "apply", live, desired, "--with-privileges")
    assert applied.code == 0, (applied.out, applied.err)
    again = _cli(run_cli, "check", live, desired, "--with-privileges")
    assert again.code == 0, (again.out, again.err)
    assert acl_lines(live.url) == acl_lines(want.url)


def test_recreated_view_and_function_keep_grants(
    make_db: Callable[..., DB], run_cli: Callable[..., Run], tmp_path: Path
) -> None:
    """A view and a function the plan drops and re-creates get their grants back, after
    their CREATE; privileges are checked with has_*_privilege, not only pg_dump."""
    live = make_db(
        ROLES + V + F + "grant select on public.v to \"dc_o'brien\";"
        " revoke all on function public.f(int) from public;"
        ' grant execute on function public.f(int) to "dc_read only";'
    )
    desired = _desired_dir(
        tmp_path,
        T + "create view public.v as select id, a from public.t;"
        "create function public.f(x int) returns bigint language sql as 'select x::bigint';"
        " grant select on public.v to \"dc_o'brien\";"
        " revoke all on function public.f(int) from public;"
        ' grant execute on function public.f(int) to "dc_read only";',
    )
    run = _cli(run_cli, "check", live, desired, "--with-privileges")
    assert run.code == 2, (run.out, run.err)
    statements = [s.stmt for s in pglast.parse_sql(run.out)]

    def first(kind: type, name: str, grant: bool = False) -> int:
        for i, node in enumerate(statements):
            if not isinstance(node, kind) or (grant and not node.is_grant):
                continue
            if isinstance(node, ast.ViewStmt) and node.view.relname == name:
                return i
            if isinstance(node, ast.CreateFunctionStmt) and node.funcname[-1].sval == name:
                return i
            target = node.objects[0] if isinstance(node, ast.GrantStmt) else None
            if getattr(target, "relname", None) == name:
                return i
            if isinstance(target, ast.ObjectWithArgs) and target.objname[-1].sval == name:
                return i
        raise AssertionError(f"no {kind.__name__} on {name} in {run.out}")

    assert first(ast.ViewStmt, "v") < first(ast.GrantStmt, "v", grant=True)
    assert first(ast.CreateFunctionStmt, "f") < first(ast.GrantStmt, "f", grant=True)

    applied = _cli(run_cli, "apply", live, desired, "--with-privileges")
    assert applied.code == 0, (applied.out, applied.err)
    rows = live.query(
        "select has_table_privilege(%s, 'public.v', 'SELECT'),"
        " has_function_privilege(%s, 'public.f(int)', 'EXECUTE'),"
        " has_function_privilege(%s, 'public.f(int)', 'EXECUTE')",
        (OBRIEN, READ_ONLY, READER),
    )
    assert rows == [(True, True, False)]
    again = _cli(run_cli, "check", live, desired, "--with-privileges")
    assert again.code == 0, (again.out, again.err)


def test_grants_not_compared_without_the_flag(
    make_db: Callable[..., DB], run_cli: Callable[..., Run], tmp_path: Path
) -> None:
    live = make_db(
        ROLES + T + F + 'grant select on public.t to "dc_read only";'
        " alter default privileges grant select on tables to dc_reader;"
    )
    desired = _desired_dir(
        tmp_path, T + F + "revoke all on function public.f(int) from public;"
        " grant update (a) on public.t to dc_reader;"
        " alter default privileges in schema public grant usage on types to dc_reader;",
    )
    run = _cli(run_cli, "check", live, desired)
    assert run.code == 0, (run.out, run.err)
    applied = _cli(run_cli, "apply", live, desired)
    assert applied.code == 0, (applied.out, applied.err)
    assert live.query("select has_table_privilege(%s, 'public.t', 'SELECT')", (READ_ONLY,)) == [
        (True,)
    ]
    assert _cli(run_cli, "check", live, desired, "--with-privileges").code == 2


def test_engine_quotes_every_name_and_respects_filters(make_db: Callable[..., DB]) -> None:
    """Hostile role and object names come out quoted (each statement parses to one GRANT
    naming exactly the role); excluded objects' grants are not compared."""
    odd = 'we"ird; drop table public.t; --'
    odd_table = 'public."we""ird; drop table public.t; --"'
    live = make_db(ROLES + T + f"create table {odd_table} (x int);")
    desired = make_db(
        ROLES + T + f"create table {odd_table} (x int);"
        f' grant select on {odd_table} to "dc_""quoted""";'
        " grant select on public.t to \"dc_o'brien\";"
    )

    def diff(filters: engine.Filters) -> list[str]:
        with pg.connection(live.url, autocommit=True) as ca, pg.connection(
            desired.url, autocommit=True
        ) as cb:
            ia = engine.inspect(ca, "live", filters)
            ib = engine.inspect(cb, "desired", filters)
        return engine.split_checked(engine.raw_diff(ia, ib, privileges=True))

    statements = diff(engine.Filters())
    assert len(statements) == 2, statements
    grants = [pglast.parse_sql(s)[0].stmt for s in statements]
    assert {(g.objects[0].relname, g.grantees[0].rolename) for g in grants} == {
        (odd, QUOTED),
        ("t", OBRIEN),
    }
    kept = diff(engine.Filters(exclude=("public.t",)))
    assert [pglast.parse_sql(s)[0].stmt.objects[0].relname for s in kept] == [odd]
