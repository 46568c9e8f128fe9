"""diffcheck's inspection against stock schemainspect, and over several connections against
one: the query rewrites (materialized CTEs, hash joins, joins instead of per-row comment
lookups) and the shared-snapshot reads must change the speed of inspection, never its result.

Run on real corpus schemas and on the benchmark generator's trading schema."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import sys
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import psycopg2.extras
import pytest
from conftest import CORPUS, DB, ROOT

from diffcheck import catalog, engine, pg, plan, snapshot
from diffcheck.errors import ConnectionFailed

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate

# Every collection migra compares.
COLLECTIONS = (
    "schemas relations tables views materialized_views functions selectables sequences "
    "constraints indexes enums extensions privileges collations triggers rlspolicies types "
    "domains"
).split()

SOURCES = [
    pytest.param("pagila", id="pagila"),
    pytest.param("lago", id="lago"),
    pytest.param("chado", id="chado", marks=pytest.mark.slow),
    pytest.param("generator", id="generator-600"),
]


def _load(make_db: Callable[..., DB], source: str) -> DB:
    if source == "generator":
        return make_db(generate(600))
    return make_db(path=CORPUS / f"{source}.sql")


@contextlib.contextmanager
def _stock_execute() -> Iterator[None]:
    """schemainspect exactly as released: diffcheck's query patch taken off."""
    from schemainspect.pg import obj

    patched = obj.PostgreSQL.execute

    def stock(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = self.c.execute(*args, **kwargs)
        return self.c.fetchall() if result is None else result

    obj.PostgreSQL.execute = stock
    try:
        yield
    finally:
        obj.PostgreSQL.execute = patched


def _get_inspector(url: str, stock: bool) -> Any:
    from schemainspect import get_inspector

    conn = psycopg2.connect(url, cursor_factory=psycopg2.extras.NamedTupleCursor)
    with contextlib.closing(conn), conn.cursor() as cur:
        # Stock schemainspect reads types and domains only on the search_path (diffcheck reads
        # every schema): with every user schema on it, both must see the same objects.
        cur.execute(
            "select string_agg(quote_ident(nspname), ',') from pg_namespace "
            "where nspname !~ '^pg_' and nspname <> 'information_schema'"
        )
        cur.execute(f"set search_path = {cur.fetchone()[0]}")
        if stock:
            with _stock_execute():
                return get_inspector(cur)
        return get_inspector(cur)


@pytest.mark.parametrize("source", SOURCES)
def test_rewritten_queries_equal_stock_schemainspect(
    make_db: Callable[..., DB], source: str
) -> None:
    db = _load(make_db, source)
    stock = _get_inspector(db.url, stock=True)
    ours = _get_inspector(db.url, stock=False)
    assert len(stock.relations) > 10
    for name in COLLECTIONS:
        a, b = getattr(stock, name), getattr(ours, name)
        assert list(a) == list(b), f"{name}: different objects"
        differing = [k for k in a if a[k] != b[k]]
        assert not differing, f"{name}: {differing[:3]}"
    for key, rel in stock.relations.items():
        mine = ours.relations[key]
        assert (rel.dependent_on, rel.dependents) == (mine.dependent_on, mine.dependents), key


def _inspect(url: str, shared: bool) -> engine.Inspection:
    connect = functools.partial(pg.connect, url) if shared else None
    with pg.connection(url, autocommit=True) as conn:
        return engine.inspect(conn, "test", engine.Filters(), connect=connect)


@pytest.mark.parametrize("source", SOURCES)
def test_shared_snapshot_inspection_equals_one_connection(
    make_db: Callable[..., DB], monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    db = _load(make_db, source)
    monkeypatch.setattr(snapshot, "MIN_RELATIONS", 0)  # small corpora take the shared path too
    used: list[bool] = []
    real_open = snapshot.SharedSnapshot.open

    def spy(self: snapshot.SharedSnapshot) -> bool:
        used.append(real_open(self))
        return used[-1]

    monkeypatch.setattr(snapshot.SharedSnapshot, "open", spy)
    one = _inspect(db.url, shared=False)
    assert used == []
    many = _inspect(db.url, shared=True)
    assert used == [True]
    a, b = one.inspector, many.inspector
    assert plan.fingerprint(a) == plan.fingerprint(b)
    assert a.diffcheck_facts == b.diffcheck_facts
    ca: catalog.Catalog = a.diffcheck_catalog
    cb: catalog.Catalog = b.diffcheck_catalog
    assert sorted(ca.depends) == sorted(cb.depends) and len(ca.depends) > 0
    assert ca.partitioning == cb.partitioning and ca.part_indexes == cb.part_indexes
    for name in COLLECTIONS:
        assert list(getattr(a, name)) == list(getattr(b, name)), name
    # Both sides diff to nothing against each other.
    assert engine.raw_diff(one, many, privileges=True) == []


def test_helpers_see_the_inspecting_snapshot(
    make_db: Callable[..., DB], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table created after the inspection began is invisible to every helper too."""
    db = _load(make_db, "pagila")
    monkeypatch.setattr(snapshot, "MIN_RELATIONS", 0)
    created: list[bool] = []

    def connect() -> pg.Connection:
        if not created:  # between the export and the first helper's import
            db.execute("create table public.dc_late (id int)")
            created.append(True)
        return pg.connect(db.url)

    with pg.connection(db.url, autocommit=True) as conn:
        insp = engine.inspect(conn, "test", engine.Filters(), connect=connect)
    assert created == [True]
    assert '"public"."dc_late"' not in insp.inspector.relations
    # diffcheck's own facts were read by the helpers, in the same snapshot.
    comments = insp.inspector.diffcheck_facts["comments"]
    assert ("relation", "public", "dc_late") not in comments
    assert ("relation", "public", "film") in comments
    assert ("rel", "public", None, "dc_late") not in insp.inspector.diffcheck_catalog.objects


def test_no_helper_connection_falls_back_to_one(
    make_db: Callable[..., DB], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _load(make_db, "pagila")
    monkeypatch.setattr(snapshot, "MIN_RELATIONS", 0)
    calls: list[int] = []

    def refuse() -> pg.Connection:
        calls.append(1)
        raise ConnectionFailed("cannot connect to test: too many clients already")

    with pg.connection(db.url, autocommit=True) as conn:
        fallback = engine.inspect(conn, "test", engine.Filters(), connect=refuse)
        # The connection is usable afterwards, outside any transaction.
        assert conn.status == psycopg2.extensions.STATUS_READY
    assert calls == [1]
    one = _inspect(db.url, shared=False)
    assert plan.fingerprint(fallback.inspector) == plan.fingerprint(one.inspector)
    assert fallback.inspector.diffcheck_facts == one.inspector.diffcheck_facts
    assert len(fallback.inspector.tables) == len(one.inspector.tables) > 10


def test_lock_timeout_in_a_helper_is_a_lock_error(
    make_db: Callable[..., DB], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Helpers honour the inspection's lock_timeout and their errors reach the caller."""
    from diffcheck.errors import LockError

    db = _load(make_db, "pagila")
    monkeypatch.setattr(snapshot, "MIN_RELATIONS", 0)
    holder = psycopg2.connect(db.url)
    try:
        with holder.cursor() as cur:
            cur.execute("lock table public.film in access exclusive mode")
        with pg.connection(db.url, autocommit=True) as conn, pytest.raises(LockError) as err:
            engine.inspect(
                conn,
                "live",
                engine.Filters(),
                lock_timeout=0.2,
                connect=functools.partial(pg.connect, db.url),
            )
        assert "inspecting live" in str(err.value)
    finally:
        holder.rollback()
        holder.close()
    with psycopg2.connect(db.url) as check, check.cursor() as cur:
        cur.execute(
            "select count(*) from pg_stat_activity where datname = current_database() "
            "and pid <> pg_backend_pid() and state <> 'idle'"
        )
        assert cur.fetchone()[0] == 0  # no helper left running a query


def _indexdefs(url: str) -> dict[tuple[str, str], str]:
    with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
        cur.execute(
            "select n.nspname, c.relname, pg_get_indexdef(c.oid) from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace "
            "where c.relkind in ('i', 'I') and n.nspname !~ '^pg_' "
            "and n.nspname <> 'information_schema'"
        )
        return {(s, n): d for s, n, d in cur.fetchall()}


@pytest.mark.parametrize("shared", [False, True], ids=["one-connection", "shared"])
def test_index_facts_carry_pg_get_indexdef(
    make_db: Callable[..., DB], monkeypatch: pytest.MonkeyPatch, shared: bool
) -> None:
    """Index definitions in diffcheck's facts and partition catalog are taken from
    schemainspect's rows instead of a second and third pg_get_indexdef per index: each must
    still be exactly PostgreSQL's text, for plain, partitioned and partition indexes."""
    db = _load(make_db, "generator")
    monkeypatch.setattr(snapshot, "MIN_RELATIONS", 0)
    insp = _inspect(db.url, shared=shared).inspector
    expected = _indexdefs(db.url)
    facts = insp.diffcheck_facts["indexes"]
    parts = insp.diffcheck_catalog.part_indexes.values()
    assert len(facts) > 100 and any(ix.kind == "I" for ix in facts.values())
    assert len(parts) > 10
    assert {k: ix.definition for k, ix in facts.items()} == {k: expected[k] for k in facts}
    assert all(p.definition == expected[(p.schema, p.name)] for p in parts)


def test_index_definitions_schemainspect_lacks_are_read(make_db: Callable[..., DB]) -> None:
    """An index missing from schemainspect's rows (its query skips indexes that are not
    live) still gets its definition, read for it alone."""
    from diffcheck.fixups import bs_indexes

    db = make_db(
        "create table t (id int primary key, v text);"
        "create index t_v on t (v) with (fillfactor = 70);"
        "create table p (id int, d date) partition by range (d);"
        "create table p1 partition of p for values from ('2020-01-01') to ('2021-01-01');"
        "create index p_d on p (d);"
    )
    full = _inspect(db.url, shared=False).inspector
    expected = _indexdefs(db.url)
    facts = {"indexes": {k: ix._replace(definition="") for k, ix in
                         full.diffcheck_facts["indexes"].items()}}
    parts = [dataclasses.replace(p, definition="") for p in
             full.diffcheck_catalog.part_indexes.values()]
    known = {("public", "t_pkey"): expected[("public", "t_pkey")]}  # the rest are "missing"
    with contextlib.closing(psycopg2.connect(db.url)) as conn, conn.cursor() as cur:
        bs_indexes.fill_definitions(cur, known, facts, parts)
    assert {k: ix.definition for k, ix in facts["indexes"].items()} == {
        k: expected[k] for k in facts["indexes"]
    }
    assert ("public", "t_v") in facts["indexes"]
    assert "fillfactor='70'" in expected[("public", "t_v")]
    assert sorted((p.name, p.definition) for p in parts) == sorted(
        (p.name, expected[("public", p.name)]) for p in parts
    )
    assert {p.name for p in parts} >= {"p_d", "p1_d_idx"}
