"""Unit tests for diffcheck.online: CONCURRENTLY rewrites of index DDL."""

from __future__ import annotations

import pglast
import pytest

from diffcheck.hazards import UnsafeStatementError
from diffcheck.online import index_name, index_target, make_online


def _stmt(sql: str) -> object:
    (raw,) = pglast.parse_sql(sql)
    return raw.stmt


@pytest.mark.parametrize(
    "statement",
    [
        'CREATE INDEX "ix" ON "public"."orders" USING btree (customer_id);',
        'CREATE UNIQUE INDEX "ux" ON "public"."orders" USING btree (lower(email));',
        'CREATE INDEX "px" ON "public"."orders" USING btree (created_at) WHERE (NOT archived);',
        'CREATE INDEX "ex" ON "sales"."orders" USING gin ((data -> \'tags\'::text)) '
        "WITH (fastupdate='off');",
        'CREATE UNIQUE INDEX "cx" ON "public"."orders" USING btree (a DESC NULLS LAST, b) '
        "INCLUDE (c) NULLS NOT DISTINCT;",
    ],
)
def test_create_index_becomes_concurrent_and_keeps_everything_else(statement: str) -> None:
    online = make_online(statement)
    assert online is not None and "CONCURRENTLY" in online
    before, after = _stmt(statement), _stmt(online)
    assert after.concurrent and not before.concurrent  # type: ignore[attr-defined]
    after.concurrent = False  # type: ignore[attr-defined]
    assert after == before  # uniqueness, predicate, expressions, options all preserved


def test_unique_partial_expression_details_survive() -> None:
    online = make_online('CREATE UNIQUE INDEX "ux" ON "public"."users" USING btree '
                         "(lower(email)) WHERE (deleted_at IS NULL);")
    node = _stmt(online or "")
    assert node.unique and node.whereClause is not None  # type: ignore[attr-defined]
    assert node.indexParams[0].expr.funcname[-1].sval == "lower"  # type: ignore[attr-defined]
    assert node.relation.schemaname == "public"  # type: ignore[attr-defined]


def test_drop_index_becomes_concurrent() -> None:
    assert make_online('drop index "public"."ix";') == "DROP INDEX CONCURRENTLY public.ix"
    online = make_online('drop index if exists "Sales"."Odd Ix";')
    assert online == 'DROP INDEX CONCURRENTLY IF EXISTS "Sales"."Odd Ix"'


@pytest.mark.parametrize(
    "statement",
    [
        'CREATE INDEX CONCURRENTLY "ix" ON "public"."orders" USING btree (a);',
        'CREATE INDEX "ix" ON ONLY "public"."events" USING btree (a);',  # partitioned parent
        'drop index concurrently "public"."ix";',
        'drop index "public"."a", "public"."b";',  # CONCURRENTLY takes a single index
        'drop index "public"."ix" cascade;',  # CONCURRENTLY rejects CASCADE
        'drop table "public"."orders";',
        'create table "public"."t" ("a" integer);',
        'alter table "public"."orders" add constraint "u" unique ("a");',
        'alter index "public"."ix" rename to "iy";',
        "select 1;",
    ],
)
def test_other_statements_have_no_online_form(statement: str) -> None:
    assert make_online(statement) is None


def test_make_online_rejects_multiple_statements() -> None:
    with pytest.raises(UnsafeStatementError):
        make_online('CREATE INDEX "ix" ON "public"."t" (a); drop table "public"."t";')


def test_index_target_and_name() -> None:
    create = 'CREATE INDEX "ix" ON "sales"."orders" USING btree (a);'
    assert index_target(create) == ("sales", "orders")
    assert index_name(create) == ("sales", "ix")  # an index lives in its table's schema
    assert index_target('CREATE INDEX ON "orders" (a);') == ("public", "orders")
    assert index_name('CREATE INDEX ON "orders" (a);') is None  # unnamed
    assert index_target('drop index "sales"."ix";') == ("sales", "ix")
    assert index_name('drop index "sales"."ix";') is None
    assert index_target('drop table "sales"."orders";') is None
