"""Unit tests for diffcheck.hazards: statement classification, plans, parsing and sizes."""

from __future__ import annotations

from collections import Counter

import pytest

from diffcheck.hazards import (
    HAZARD_CODES,
    Hazard,
    TableStats,
    UnsafeStatementError,
    classify,
    classify_plan,
    describe_size,
    is_transactional,
    parse_one,
)

D, RW, BW, BR = "DELETES_DATA", "REWRITES_TABLE", "BLOCKS_WRITES", "BLOCKS_READS"
BI, ST, RO, CP = "BUILDS_INDEX", "SCANS_TABLE", "RECREATES_OBJECT", "CHANGES_PRIVILEGES"
NT = "NON_TRANSACTIONAL"
MD, UN = "MODIFIES_DATA", "UNKNOWN_STATEMENT"
AE = {BW, BR}  # what an ACCESS EXCLUSIVE lock on an existing table amounts to

T = 'alter table "public"."orders" '
COL = {"public.orders.c": "character varying(10)", "public.orders.n": "numeric(10,2)",
       "public.orders.i": "bigint", "public.orders.j": "integer", "public.orders.t": "text",
       "public.orders.ts": "timestamp without time zone", "public.orders.a": "integer[]"}


def _type(col: str, new: str) -> str:
    """migra's spelling of a column type change."""
    return T + f'alter column "{col}" set data type {new} using "{col}"::{new};'


CASES: list[tuple[str, set[str]]] = [
    # data loss
    (T + 'drop column "note";', {D} | AE),
    ('drop table "public"."orders";', {D} | AE),
    ('drop schema "archive";', {D}),
    ('drop type "public"."mood";', {D}),
    ('drop sequence "public"."orders_id_seq";', {D}),
    ('drop materialized view "public"."totals";', {D} | AE),
    ('truncate "public"."orders";', {D} | AE),
    # column type changes, judged against the current type from COL
    (_type("c", "varchar(5)"), {D, RW} | AE),
    (_type("c", "varchar(20)"), AE),  # binary-coercible widening: no rewrite, no loss
    (_type("c", "varchar"), AE),
    (_type("c", "text"), AE),
    (_type("t", "varchar(10)"), {D, RW} | AE),
    (_type("n", "numeric"), AE),
    (_type("n", "numeric(12,2)"), AE),
    (_type("n", "numeric(8,2)"), {D, RW} | AE),
    (_type("n", "numeric(10,1)"), {D, RW} | AE),
    (_type("i", "integer"), {D, RW} | AE),
    (_type("j", "bigint"), {RW} | AE),
    (_type("j", "text"), {D, RW} | AE),  # different family
    (_type("ts", "timestamp with time zone"), {RW} | AE),
    (_type("ts", "date"), {D, RW} | AE),
    (_type("a", "bigint[]"), {RW} | AE),
    (_type("unknown", "varchar(20)"), {D, RW} | AE),  # old type unknown: assume the worst
    # adding columns
    (T + 'add column "d" timestamp without time zone default now();', AE),
    (T + 'add column "d" date default CURRENT_DATE;', AE),
    (T + 'add column "d" text default \'x\'::text;', AE),
    (T + 'add column "d" uuid default gen_random_uuid();', {RW} | AE),
    (T + 'add column "d" double precision default random();', {RW} | AE),
    (T + "add column \"d\" integer default nextval('\"public\".\"s\"'::regclass);", {RW} | AE),
    (T + 'add column "d" integer generated always as ((j * 2)) stored;', {RW} | AE),
    (T + 'add column "d" bigint generated always as identity;', {RW} | AE),
    # table-level changes
    (T + "set logged;", {RW} | AE),
    (T + "set unlogged;", {RW} | AE),
    (T + 'set tablespace "fast";', {RW} | AE),
    (T + 'alter column "j" set default 1;', AE),
    (T + 'alter column "j" drop default;', AE),
    (T + 'alter column "j" set statistics 500;', set()),  # SHARE UPDATE EXCLUSIVE
    (T + "set (fillfactor=70, autovacuum_enabled=false);", set()),
    (T + "set (user_catalog_table=true);", AE),
    (T + "disable trigger all;", {BW}),  # SHARE ROW EXCLUSIVE
    # indexes
    ('CREATE INDEX "ix" ON "public"."orders" USING btree (j);', {BI, BW}),
    ('CREATE UNIQUE INDEX "ux" ON "public"."orders" USING btree (lower(t));', {BI, BW}),
    ('CREATE INDEX CONCURRENTLY "ix" ON "public"."orders" USING btree (j);', {NT}),
    ('CREATE INDEX "ix" ON ONLY "public"."events" USING btree (j);', {BW}),
    ('drop index "public"."ix";', AE),
    ('drop index concurrently "public"."ix";', {NT}),
    ('reindex table "public"."orders";', {BI} | AE),
    ('reindex index concurrently "public"."ix";', {NT}),
    # constraints
    (T + 'add constraint "orders_pkey" primary key ("id");', {BI} | AE),
    (T + 'add constraint "u" unique ("t");', {BI} | AE),
    (T + 'add constraint "u" unique using index "ux";', AE),
    (T + 'add constraint "f" foreign key ("cid") references "public"."customers"("id");',
     {BW, ST}),
    (T + 'add constraint "f" foreign key ("cid") references "public"."customers"("id") '
     "not valid;", {BW}),
    (T + 'add constraint "ck" check ((j > 0));', {ST} | AE),
    (T + 'add constraint "ck" check ((j > 0)) not valid;', AE),
    (T + 'validate constraint "ck";', {ST}),  # SHARE UPDATE EXCLUSIVE: no blocking
    (T + 'alter column "j" set not null;', {ST} | AE),
    (T + 'alter column "j" drop not null;', AE),
    # partitions
    ('alter table "public"."events" attach partition "public"."events_1" for values in (1);',
     {ST} | AE),
    ('alter table "public"."events" detach partition "public"."events_1";', {D} | AE),
    ('alter table "public"."events" detach partition "public"."events_1" concurrently;', {D, NT}),
    ('create table "public"."events_2" partition of "public"."events" for values in (2);', AE),
    ('alter index "public"."events_ix" attach partition "public"."events_1_ix";', set()),
    # materialized views and triggers
    ('refresh materialized view "public"."totals";', {BR}),
    ('refresh materialized view concurrently "public"."totals";', set()),
    ('create trigger "t" before insert on "public"."orders" for each row '
     'execute function "public"."f"();', {BW}),
    # privileges
    ('grant select on table "public"."orders" to "reporting";', {CP}),
    ('revoke all on schema "archive" from "public";', {CP}),
    ('alter default privileges in schema "public" grant select on tables to "reporting";', {CP}),
    ('alter function "public"."f"() owner to "app";', {CP}),
    (T + "owner to app;", {CP} | AE),
    (T + "enable row level security;", {CP} | AE),
    (T + "force row level security;", {CP} | AE),
    ('create policy "p" on "public"."orders" as permissive for select to public using (true);',
     {CP} | AE),
    ('drop policy "p" on "public"."orders";', {CP} | AE),
    # transaction control
    ('vacuum "public"."orders";', {NT}),
    ('analyze "public"."orders";', set()),
    ("create database scratch;", {NT, UN}),  # cluster-wide: never schema DDL
    ("alter system set work_mem = '64MB';", {NT, UN}),
    ('alter type "public"."mood" add value \'meh\';', set()),  # transactional since PG12
    # new objects carry no hazards
    ('create table "public"."new" ("id" integer not null, "t" text);', set()),
    ('create or replace view "public"."v" as  SELECT 1 AS one;', set()),
    ('create view "public"."v" as  SELECT 1 AS one;', set()),
    ("CREATE OR REPLACE FUNCTION public.f() RETURNS integer LANGUAGE sql AS $$ select 1 $$;",
     set()),
    ('create type "public"."mood" as enum (\'ok\', \'sad\');', set()),
    ('create sequence "public"."s";', set()),
    ('create schema if not exists "archive";', set()),
    ('comment on table "public"."orders" is \'x\';', set()),
    # hand-added statements: data changes and anything that is not schema DDL
    ('delete from "public"."orders" where id > 5;', {D}),
    ("update public.orders set j = 0;", {D}),
    ("merge into orders o using src s on o.id = s.id when matched then delete;", {D}),
    ("with gone as (delete from orders returning *) select count(*) from gone;", {D, UN}),
    ("explain analyze delete from orders;", {D, UN}),
    ("insert into orders (id) values (1);", {MD}),
    ("copy orders from '/tmp/x.csv';", {MD}),
    ("copy orders from stdin;", {MD}),
    ("copy (select 1) to program 'id';", {MD}),
    ("select pg_terminate_backend(42);", {UN}),
    ("do $$ begin perform 1; end $$;", {UN}),
    ("call public.p();", {UN}),
    ("set role postgres;", {UN}),
    ("set session authorization postgres;", {UN}),
    ("grant pg_write_server_files to app;", {CP, UN}),
    ("create role boss superuser;", {UN}),
    ("commit;", {UN}),
    ("set check_function_bodies = off;", set()),  # migra writes this one
    ("select 1;", set()),  # schemainspect's stand-in for an exclusion constraint's index
    ("select 1 from orders;", {UN}),
    ("select 1 union select 2;", {UN}),
    ("do $$ begin raise exception 'x'; end $$;", set()),  # diffcheck's refusal shape
    ("do $$ begin raise exception '%', pg_terminate_backend(1); end $$;", {UN}),
    ("do $$ begin raise exception using message = f(); end $$;", {UN}),
    ("do $$ begin raise exception 'x'; exception when others then perform 1; end $$;", {UN}),
    ("do $$ begin raise notice 'x'; end $$;", {UN}),
    ("do language plperl $$ die $$;", {UN}),
    ('create rule "r" as on delete to "public"."orders" do instead delete from archive;', set()),
    ("lock table orders in access exclusive mode;", AE),
    ("lock table orders in share mode;", {BW}),
    ("lock table orders in access share mode;", set()),
]


@pytest.mark.parametrize(("statement", "expected"), CASES, ids=[c[0][:70] for c in CASES])
def test_classify_codes(statement: str, expected: set[str]) -> None:
    assert {h.code for h in classify(statement, COL)} == expected


def test_table_covers_every_code_twice() -> None:
    counts = Counter(code for _, expected in CASES for code in expected)
    plan_only = {RO, "REQUIRES_REBUILD"}  # tested below, never produced by classify() alone
    assert all(counts[code] >= 2 for code in set(HAZARD_CODES) - plan_only), counts


def test_hazard_codes_are_stable() -> None:
    assert HAZARD_CODES == (D, MD, UN, RW, BW, BR, BI, ST, RO, CP, "REQUIRES_REBUILD", NT)


def test_classify_never_emits_plan_only_codes() -> None:
    emitted = {h.code for statement, _ in CASES for h in classify(statement, COL)}
    assert "REQUIRES_REBUILD" not in emitted
    assert RO not in emitted


def _tables(statement: str, code: str) -> set[str | None]:
    return {h.table for h in classify(statement, COL) if h.code == code}


def test_table_of_drop_column_and_message() -> None:
    (hazard,) = [h for h in classify(T + 'drop column "note";') if h.code == D]
    assert hazard == Hazard(D, 'drops column "public"."orders"."note"', "public.orders")


def test_foreign_key_blocks_writes_on_both_tables() -> None:
    fk = T + 'add constraint "f" foreign key ("cid") references "public"."customers"("id");'
    assert _tables(fk, BW) == {"public.orders", "public.customers"}
    assert _tables(fk, ST) == {"public.orders"}


def test_tables_of_indexes_partitions_and_schemas() -> None:
    assert _tables('CREATE INDEX "ix" ON "public"."orders" (j);', BI) == {"public.orders"}
    assert _tables('drop table "sales"."orders";', D) == {"sales.orders"}
    attach = 'alter table "public"."events" attach partition "public"."events_1" for values in (1);'
    assert _tables(attach, BR) == _tables(attach, ST) == {"public.events_1"}
    create = 'create table "public"."events_2" partition of "public"."events" for values in (2);'
    assert _tables(create, BR) == {"public.events"}
    assert _tables('drop schema "archive";', D) == {None}
    assert _tables('truncate "a"."x", "b"."y";', D) == {"a.x", "b.y"}


def test_hazards_are_deduplicated_and_sorted() -> None:
    hazards = classify(T + 'drop column "a", drop column "b", alter column "j" set not null;')
    assert [h.code for h in hazards] == [D, BW, BR, ST]
    assert [h.code for h in hazards] == sorted((h.code for h in hazards), key=HAZARD_CODES.index)


def test_is_transactional() -> None:
    assert is_transactional('CREATE INDEX "ix" ON "public"."orders" (j);')
    assert not is_transactional('CREATE INDEX CONCURRENTLY "ix" ON "public"."orders" (j);')
    assert not is_transactional('drop index concurrently "public"."ix";')
    assert is_transactional('alter type "public"."mood" add value \'meh\';')


@pytest.mark.parametrize(
    "text",
    ["select 1; drop table x", "create type \"e\" as enum ('O'Brien')", "", " ; ", "drop tabel x"],
)
def test_parse_one_rejects(text: str) -> None:
    with pytest.raises(UnsafeStatementError):
        parse_one(text)
    with pytest.raises(ValueError):  # UnsafeStatementError is a ValueError
        classify(text)


def test_parse_one_accepts_a_single_statement() -> None:
    raw = parse_one('drop table "public"."orders";')
    assert type(raw.stmt).__name__ == "DropStmt"
    assert parse_one("create type \"e\" as enum ('O''Brien')").stmt.vals[0].sval == "O'Brien"


def _codes(plan: list[list[Hazard]]) -> list[set[str]]:
    return [{h.code for h in hazards} for hazards in plan]


def test_plan_marks_dropped_and_recreated_view() -> None:
    plan = classify_plan([
        'drop view if exists "public"."v";',
        'alter table "public"."orders" drop column "note";',
        'create or replace view "public"."v" as  SELECT 1 AS one;',
        'create or replace view "public"."w" as  SELECT 2 AS two;',
    ])
    assert _codes(plan) == [{RO}, {D} | AE, {RO}, set()]
    assert plan[0][0].message == 'drops and recreates view "public"."v"'


def test_plan_recreated_matview_still_deletes_data() -> None:
    plan = classify_plan(['drop materialized view "public"."m";',
                          'create materialized view "public"."m" as  SELECT 1 AS one;'])
    assert _codes(plan) == [{D, RO} | AE, {RO}]


def test_plan_matches_functions_by_input_arguments() -> None:
    create = ('CREATE OR REPLACE FUNCTION public.f(a integer, OUT b text) RETURNS text '
              "LANGUAGE sql AS $$ select 'x' $$;")
    same = classify_plan(['drop function if exists "public"."f"(a integer, OUT b text);', create])
    other = classify_plan(['drop function if exists "public"."f"(a bigint);', create])
    assert _codes(same) == [{RO}, {RO}]
    assert _codes(other) == [set(), set()]


def test_plan_recognises_migra_enum_recreation() -> None:
    plan = classify_plan([
        'alter type "public"."mood" rename to "mood__old_version_to_be_dropped";',
        'create type "public"."mood" as enum (\'ok\', \'meh\');',
        'alter table "public"."orders" alter column "m" type "public"."mood" '
        'using "m"::text::"public"."mood";',
        'drop type "public"."mood__old_version_to_be_dropped";',
    ], {"public.orders.m": "mood"})
    assert _codes(plan) == [{RO}, {RO}, {RW} | AE, {RO}]  # the old version's drop loses nothing


def test_plan_ignores_locks_on_tables_it_creates() -> None:
    plan = classify_plan([
        'create table "public"."new" ("id" integer, "cid" integer);',
        'CREATE INDEX "new_ix" ON "public"."new" USING btree (id);',
        'alter table "public"."new" add constraint "f" foreign key ("cid") '
        'references "public"."customers"("id");',
        'CREATE INDEX "old_ix" ON "public"."orders" USING btree (j);',
    ])
    assert _codes(plan) == [set(), set(), {BW}, {BI, BW}]
    assert {h.table for h in plan[2]} == {"public.customers"}


@pytest.mark.parametrize(
    ("rows", "size", "text"),
    [
        (0, 0, "~0 rows, 0 bytes"),
        (999, 8192, "~999 rows, 8192 bytes"),
        (1_234, 20_480, "~1.2K rows, 20 kB"),
        (1_200_000, 340 * 1024 * 1024, "~1.2M rows, 340 MB"),
        (2_000_000_000, 3 * 1024**3, "~2B rows, 3072 MB"),
    ],
)
def test_describe_size(rows: int, size: int, text: str) -> None:
    assert describe_size(TableStats(rows, size)) == text


def test_dml_hazards_name_their_table() -> None:
    (delete,) = classify('delete from "sales"."orders" where id < 10;')
    assert delete == Hazard(D, 'deletes rows from "sales"."orders"', "sales.orders")
    (update,) = classify("update orders set j = 1;")
    assert update.message == 'updates rows of "public"."orders"'
    (insert,) = classify("insert into orders values (1);")
    assert insert == Hazard(MD, 'inserts into "public"."orders"', "public.orders")


def test_unknown_statement_message_names_the_kind() -> None:
    (select,) = classify("select pg_sleep(10);")
    assert select.code == UN and select.message.startswith("SELECT is not schema DDL")
    (do,) = classify("do $$ begin end $$;")
    assert do.message.startswith("DO ")


def test_hand_added_delete_in_a_plan_is_deletes_data() -> None:
    plan = ['create table "public"."new" ("id" integer);', "delete from public.orders;"]
    hazards = classify_plan(plan)
    assert [h.code for h in hazards[0]] == []
    assert [h.code for h in hazards[1]] == [D]


def test_diffchecks_own_refusal_statement_is_known() -> None:
    from diffcheck.fixups.common import refusal

    assert classify(refusal("index \"public\".\"x\" is attached; drop table t")) == []
