"""No migration loops: a check of an in-sync database stays in sync run after run, and the SQL
``check`` prints, once applied, leaves nothing to do (PostgreSQL's deparse of an expression
re-created from its own deparse must not count as a difference)."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import psycopg2
import pytest
from conftest import ROOT, schema_files

SCHEMA = ROOT / "schema"
RUNS = 50


def _statement_lines(out: str) -> list[str]:
    return [
        line for line in out.splitlines()
        if line.strip().lower().startswith(("alter", "create", "drop"))
    ]


def _listing(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and directory under ``root`` with size and mtime (ns)."""
    out: dict[str, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_size if p.is_file() else -1, st.st_mtime_ns)
    return out


def test_in_sync_check_is_stable_and_writes_nothing(run_cli, make_db, tmp_path):
    live = make_db(schema_files(SCHEMA))
    # The working directory and the desired directory live in their own sandbox (tmp_path
    # itself also holds the per-test cache directory conftest configures).
    sandbox = tmp_path / "sandbox"
    desired = sandbox / "desired"
    shutil.copytree(SCHEMA, desired)
    cwd = sandbox / "work"
    cwd.mkdir()
    before = _listing(sandbox)
    for i in range(RUNS):
        run = run_cli("check", "--live", live.url, "--desired", str(desired), cwd=cwd)
        assert run.code == 0, f"run {i + 1}: exit {run.code}\n{run.out}\n{run.err}"
        assert _statement_lines(run.out) == [], f"run {i + 1} printed SQL:\n{run.out}"
        assert run.out.startswith("in sync: "), run.out
    assert _listing(sandbox) == before, "check wrote files under its working directory"


def _apply(url: str, script: str) -> None:
    with contextlib.closing(psycopg2.connect(url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(script)



# (id, live sql, desired sql, a fragment the first check's SQL must contain)
LOOPS = [
    pytest.param(
        "create table t (id int primary key, side varchar(4));",
        "create table t (id int primary key, side varchar(4) check (side in ('buy','sell')));",
        "t_side_check",
        id="varchar-in-check",
    ),
    pytest.param(
        'create schema "Trading"; '
        'create table "Trading"."OrderBook" (id int primary key, side varchar(4));',
        'create schema "Trading"; '
        'create table "Trading"."OrderBook" (id int primary key, '
        "side varchar(4) check (side in ('buy','sell')));",
        '"Trading"."OrderBook"',
        id="varchar-in-check-mixed-case-other-schema",
    ),
    pytest.param(
        "create table t (id int primary key, side varchar(4));",
        "create table t (id int primary key, side varchar(4) default 'x'::varchar);",
        "set default",
        id="varchar-default",
    ),
    pytest.param(
        "create table t (id int primary key, side varchar(4));",
        "create table t (id int primary key, side varchar(4));\n"
        "create view v as select * from t where side in ('buy','sell');",
        '"public"."v"',
        id="view-varchar-in",
    ),
    pytest.param(
        "create table t (id int primary key, side varchar(4));",
        "create table t (id int primary key, side varchar(4));\n"
        "create index t_side_idx on t (id) where side in ('buy','sell');",
        "t_side_idx",
        id="index-predicate-varchar-in",
    ),
    pytest.param(
        "create table t (id int primary key, side varchar(4));",
        "create table t (id int primary key, side varchar(4));\n"
        "create index t_side_expr_idx on t ((side in ('buy','sell')));",
        "t_side_expr_idx",
        id="index-expression-varchar-in",
    ),
    pytest.param(
        "create table t (id int primary key, side varchar(4));",
        "create table t (id int primary key, side varchar(4));\n"
        "alter table t enable row level security;\n"
        "create policy p on t using (side in ('buy','sell'));",
        "policy",
        id="policy-varchar-in",
    ),
]


@pytest.mark.parametrize(("live_sql", "desired_sql", "fragment"), LOOPS)
def test_applying_printed_sql_converges(run_cli, make_db, tmp_path, live_sql, desired_sql,
                                        fragment):
    live = make_db(live_sql)
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "schema.sql").write_text(desired_sql + "\n")

    first = run_cli("check", "--live", live.url, "--desired", str(desired))
    assert first.code == 2, (first.out, first.err)
    assert fragment in first.out, first.out
    _apply(live.url, first.out)

    second = run_cli("check", "--live", live.url, "--desired", str(desired))
    assert second.code == 0, f"applying check's own SQL did not converge:\n{first.out}\n---\n" \
        f"{second.out}{second.err}"
    # and it stays converged
    third = run_cli("check", "--live", live.url, "--desired", str(desired))
    assert third.code == 0, third.out + third.err


# (desired object, query returning PostgreSQL's deparse, template re-creating it from that)
DEPARSED = [
    pytest.param(
        "alter table t add constraint t_side_check check (side in ('buy','sell'));",
        "select pg_get_constraintdef(oid) from pg_constraint where conname = 't_side_check'",
        "alter table t add constraint t_side_check {};",
        id="check",
    ),
    pytest.param(
        "alter table t alter column side set default 'buy'::varchar;",
        "select pg_get_expr(adbin, adrelid) from pg_attrdef where adrelid = 't'::regclass",
        "alter table t alter column side set default {};",
        id="default",
    ),
    pytest.param(
        "create index t_side_idx on t (id) where side in ('buy','sell');",
        "select pg_get_indexdef('t_side_idx'::regclass)",
        "{};",
        id="index-predicate",
    ),
    pytest.param(
        "create view v as select id from t where side in ('buy','sell');",
        "select pg_get_viewdef('v'::regclass)",
        "create view v as {}",
        id="view",
    ),
]


@pytest.mark.parametrize(("desired_obj", "deparse_query", "template"), DEPARSED)
def test_live_built_from_deparse_is_in_sync(run_cli, make_db, tmp_path, desired_obj,
                                            deparse_query, template):
    """Live built from PostgreSQL's own deparse of an object (the text pg_dump and migra
    print) matches the desired source that writes it the short way."""
    base = "create table t (id int primary key, side varchar(4) not null);\n"
    source = make_db(base + desired_obj)
    deparsed = str(source.query(deparse_query)[0][0])
    live = make_db(base + template.format(deparsed))
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "schema.sql").write_text(base + desired_obj + "\n")
    run = run_cli("check", "--live", live.url, "--desired", str(desired))
    assert run.code == 0, run.out + run.err


def _cache_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    cache_dir = tmp_path / "own-cache"
    return cache_dir, {"DIFFCHECK_CACHE_DIR": str(cache_dir)}


def test_repeated_checks_leave_no_temp_files_in_cache(run_cli, make_db, tmp_path):
    live = make_db(schema_files(SCHEMA))
    cache_dir, env = _cache_env(tmp_path)
    for _ in range(3):
        run = run_cli("check", "--live", live.url, "--desired", str(SCHEMA), env=env)
        assert run.code == 0, run.out + run.err
    leftovers = sorted(p.name for p in cache_dir.glob(".tmp-*")) if cache_dir.exists() else []
    assert leftovers == []


def test_desired_inspection_is_cached_and_cache_hits_stay_correct(run_cli, make_db, tmp_path):
    live = make_db(schema_files(SCHEMA))
    cache_dir, env = _cache_env(tmp_path)
    run = run_cli("check", "--live", live.url, "--desired", str(SCHEMA), env=env)
    assert run.code == 0, run.out + run.err
    assert len(list(cache_dir.glob("*.pickle"))) == 1
    again = run_cli("check", "--live", live.url, "--desired", str(SCHEMA), env=env)
    assert again.code == 0, again.out + again.err
    # a cache hit must still see live drift, and still normalize expressions
    live.execute("alter table prop_trading_model.positions drop column updated_at")
    drift = run_cli("check", "--live", live.url, "--desired", str(SCHEMA), env=env)
    assert drift.code == 2, drift.out + drift.err
    assert len(_statement_lines(drift.out)) == 1, drift.out
    assert "updated_at" in drift.out


def test_cache_is_keyed_by_desired_content(run_cli, make_db, tmp_path):
    live = make_db("create table t (id int primary key, side varchar(4) "
                   "check (side in ('buy','sell')));")
    _, env = _cache_env(tmp_path)
    desired = tmp_path / "desired"
    desired.mkdir()
    f = desired / "schema.sql"
    f.write_text("create table t (id int primary key, side varchar(4) "
                 "check (side in ('buy','sell')));\n")
    assert run_cli("check", "--live", live.url, "--desired", str(desired), env=env).code == 0
    f.write_text("create table t (id int primary key, side varchar(4) "
                 "check (side in ('buy','sell','hold')));\n")
    run = run_cli("check", "--live", live.url, "--desired", str(desired), env=env)
    assert run.code == 2, run.out + run.err
    assert "hold" in run.out


def test_cache_hit_still_normalizes_expressions(run_cli, make_db, tmp_path):
    """Live written in PostgreSQL's re-parsed form: in sync on a cache miss and on a hit."""
    live = make_db(
        "create table t (id int primary key, side varchar(4), constraint t_side_check check "
        "(((side)::text = any ((array['buy'::character varying, "
        "'sell'::character varying])::text[]))));"
    )
    cache_dir, env = _cache_env(tmp_path)
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "schema.sql").write_text(
        "create table t (id int primary key, side varchar(4) check (side in ('buy','sell')));\n"
    )
    for attempt in ("miss", "hit"):
        run = run_cli("check", "--live", live.url, "--desired", str(desired), env=env)
        assert run.code == 0, f"cache {attempt}: {run.out}{run.err}"
    assert list(cache_dir.glob("*.pickle"))


SEARCH_PATH_SCHEMA = """
create schema app;
create type app.mood as enum ('ok', 'sad');
create table app.t (id int primary key, v int, m app.mood default 'ok');
create view app.tv as select id, v from app.t where v > 0;
create function app.f(x int) returns int language sql immutable as $$ select x + 1 $$;
create table app.u (id int primary key, w int default app.f(1) check (w > app.f(0)));
create index u_w on app.u (app.f(w));
create table public.p (id int primary key, t_id int references app.t);
create view public.pv as select p.id, t.v from public.p join app.t t on t.id = p.t_id;
"""


@pytest.mark.parametrize("level", ["database", "role"])
def test_live_search_path_is_not_drift(run_cli, make_db, pg_url, tmp_path, level):
    """PostgreSQL deparses relative to the search_path. A live database (or its role) with
    its own (``app, public``) must still be in sync with the same schema, run after run, and
    a real change must still be found, planned and applied."""
    live = make_db(SEARCH_PATH_SCHEMA)
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "schema.sql").write_text(SEARCH_PATH_SCHEMA)
    url = live.url
    if level == "database":
        live.execute(f'alter database "{live.name}" set search_path = app, public')
    else:
        role = f"dc_path_{live.name[-8:]}"
        live.execute(f'create role "{role}" login password \'Path_pw_1\'')
        live.execute(f'alter role "{role}" set search_path = app, public')
        live.execute(f'grant pg_read_all_data to "{role}"')
        url = psycopg2.extensions.make_dsn(live.url, user=role, password="Path_pw_1")
    try:
        for attempt in ("miss", "hit"):
            run = run_cli("check", "--live", url, "--scratch-url", pg_url,
                          "--desired", str(desired))
            assert run.code == 0, f"cache {attempt}: {run.out}{run.err}"
        (desired / "schema.sql").write_text(
            SEARCH_PATH_SCHEMA.replace("check (w > app.f(0))", "check (w > app.f(1))")
        )
        run = run_cli("check", "--live", url, "--scratch-url", pg_url, "--desired", str(desired))
        assert run.code == 2, (run.out, run.err)
        assert "u_w_check" in run.out and "app.f(1)" in run.out, run.out
        if level == "database":
            plan = tmp_path / "plans" / "p.sql"
            r = run_cli("plan", "--live", url, "--desired", str(desired), "-o", str(plan),
                        cwd=tmp_path)
            assert r.code == 0, (r.out, r.err)
            r = run_cli("approve", str(plan), "--by", "alice", "--allow-hazard", "all")
            assert r.code == 0, (r.out, r.err)
            r = run_cli("apply", str(plan), "--live", url)
            assert r.code == 0, (r.out, r.err)
            run = run_cli("check", "--live", url, "--desired", str(desired))
            assert run.code == 0, (run.out, run.err)
    finally:
        if level == "role":
            with contextlib.closing(psycopg2.connect(pg_url)) as conn:
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute(f'drop owned by "{role}"')
                    cur.execute(f'drop role "{role}"')


SHADOW_SCHEMA = """
create schema app;
create table app.p (id int primary key, name text);
create table public.p (id int primary key, v int);
create view public.pv as select id, v from public.p;
"""


def test_apply_reads_the_plan_under_the_search_path_it_was_printed_with(
    run_cli, make_db, tmp_path
):
    """Plan SQL is printed relative to diffcheck's fixed search_path: ``FROM p`` means
    public.p. Live's own search_path (``app, public``) would bind it to app.p, a different
    table: apply runs the plan under the path it was printed with, and lands."""
    live = make_db(SHADOW_SCHEMA)
    live.execute(f'alter database "{live.name}" set search_path = app, public')
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "schema.sql").write_text(
        SHADOW_SCHEMA.replace("from public.p;", "from public.p where v > 0;")
    )
    plan = tmp_path / "plans" / "p.sql"
    r = run_cli("plan", "--live", live.url, "--desired", str(desired), "-o", str(plan),
                cwd=tmp_path)
    assert r.code == 0, (r.out, r.err)
    assert "FROM p" in plan.read_text(), plan.read_text()
    r = run_cli("approve", str(plan), "--by", "alice", "--allow-hazard", "all")
    assert r.code == 0, (r.out, r.err)
    r = run_cli("apply", str(plan), "--live", live.url)
    assert r.code == 0, (r.out, r.err)
    with contextlib.closing(psycopg2.connect(live.url)) as conn, conn.cursor() as cur:
        cur.execute("select pg_get_viewdef('public.pv'::regclass)")
        assert "v > 0" in cur.fetchone()[0]
    run = run_cli("check", "--live", live.url, "--desired", str(desired))
    assert run.code == 0, (run.out, run.err)
