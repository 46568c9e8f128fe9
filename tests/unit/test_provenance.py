"""provenance(): generated statements -> the file and line of their object in schema/."""

from __future__ import annotations

from pathlib import Path

import pytest

from diffcheck.provenance import build_index, provenance
from diffcheck.sources import dir_source

ROOT = Path(__file__).resolve().parents[2]
S = '"prop_trading_model"'


@pytest.fixture(scope="module")
def files() -> list[tuple[str, str]]:
    return dir_source("schema", str(ROOT)).files()


def line_of(files: list[tuple[str, str]], path: str, needle: str) -> tuple[str, int]:
    """(path, line) of the first line of ``path`` containing ``needle`` (test oracle only)."""
    text = dict(files)[path]
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return path, n
    raise AssertionError(f"{needle!r} not in {path}")


def one(statement: str, files: list[tuple[str, str]]) -> tuple[str, int] | None:
    [where] = provenance([statement], files)
    return where


def test_display_paths_come_from_the_source(files: list[tuple[str, str]]) -> None:
    assert [p for p, _ in files][:2] == ["schema/00_schema.sql", "schema/10_types.sql"]


def test_add_column_maps_to_the_column_definition(files: list[tuple[str, str]]) -> None:
    stmt = f'alter table {S}."orders" add column "client_order_id" character varying(64);'
    assert one(stmt, files) == line_of(files, "schema/40_orders.sql", "client_order_id  varchar")


def test_alter_column_maps_to_the_column_definition(files: list[tuple[str, str]]) -> None:
    for stmt in (
        f'alter table {S}."orders" alter column "limit_price" set data type numeric(20,8) '
        'using "limit_price"::numeric(20,8);',
        f'alter table {S}."orders" alter column "filled_quantity" set default 0;',
        f'alter table {S}."orders" alter column "limit_price" set not null;',
    ):
        column = stmt.split('column "')[1].split('"')[0]
        assert one(stmt, files) == line_of(files, "schema/40_orders.sql", f"    {column} ")


def test_create_index_maps_to_its_create_index_line(files: list[tuple[str, str]]) -> None:
    stmt = (
        "CREATE INDEX orders_instrument_created_idx ON prop_trading_model.orders "
        "USING btree (instrument_id, created_at DESC);"
    )
    where = one(stmt, files)
    assert where == line_of(
        files, "schema/40_orders.sql", "CREATE INDEX orders_instrument_created_idx"
    )


def test_index_after_a_comment_maps_to_create_not_the_comment(
    files: list[tuple[str, str]],
) -> None:
    stmt = (
        "CREATE UNIQUE INDEX instruments_symbol_venue_uidx ON prop_trading_model.instruments "
        "USING btree (upper((symbol)::text), venue);"
    )
    assert one(stmt, files) == line_of(
        files, "schema/30_instruments.sql", "CREATE UNIQUE INDEX instruments_symbol_venue_uidx"
    )


def test_new_partition_maps_to_its_partition_of_line(files: list[tuple[str, str]]) -> None:
    stmt = (
        f'create table {S}."trades_2026_03" partition of {S}."trades" '
        "FOR VALUES FROM ('2026-03-01 00:00:00+00') TO ('2026-04-01 00:00:00+00');"
    )
    assert one(stmt, files) == line_of(
        files, "schema/50_trades.sql", "CREATE TABLE prop_trading_model.trades_2026_03"
    )


def test_partition_child_index_falls_back_to_the_partition(files: list[tuple[str, str]]) -> None:
    stmt = (
        "CREATE INDEX trades_2026_03_instrument_id_executed_at_idx ON "
        "prop_trading_model.trades_2026_03 USING btree (instrument_id, executed_at);"
    )
    assert one(stmt, files) == line_of(
        files, "schema/50_trades.sql", "CREATE TABLE prop_trading_model.trades_2026_03"
    )


def test_enum_add_value_maps_to_create_type(files: list[tuple[str, str]]) -> None:
    stmt = f"alter type {S}.\"order_status\" add value 'expired' after 'rejected';"
    assert one(stmt, files) == line_of(
        files, "schema/10_types.sql", "CREATE TYPE prop_trading_model.order_status"
    )


def test_enum_recreate_maps_to_create_type(files: list[tuple[str, str]]) -> None:
    rename = f'alter type {S}."side" rename to "side__old_version_to_be_dropped";'
    create = f"create type {S}.\"side\" as enum ('buy', 'sell', 'short');"
    expected = line_of(files, "schema/10_types.sql", "CREATE TYPE prop_trading_model.side")
    assert provenance([rename, create], files) == [expected, expected]


def test_drops_map_to_none(files: list[tuple[str, str]]) -> None:
    drops = [
        f'drop table {S}."orders";',
        f'drop index if exists {S}."orders_instrument_created_idx";',
        f'alter table {S}."orders" drop column "client_order_id";',
        f'alter table {S}."orders" drop constraint "orders_limit_price_positive";',
        f'drop view if exists {S}."open_orders";',
        f'drop function if exists {S}."touch_updated_at"();',
        f'drop trigger if exists "orders_touch_updated_at" on {S}."orders";',
        f'drop type {S}."side";',
        f'alter table {S}."trades" detach partition {S}."trades_2026_01";',
    ]
    assert provenance(drops, files) == [None] * len(drops)


def test_named_table_constraint_maps_to_its_constraint_line(
    files: list[tuple[str, str]],
) -> None:
    stmt = (
        f'alter table {S}."orders" add constraint "orders_limit_price_positive" '
        "CHECK (((limit_price IS NULL) OR (limit_price > (0)::numeric))) not valid;"
    )
    expected = line_of(files, "schema/40_orders.sql", "CONSTRAINT orders_limit_price_positive")
    assert one(stmt, files) == expected
    validate = f'alter table {S}."orders" validate constraint "orders_limit_price_positive";'
    assert one(validate, files) == expected


def test_unnamed_constraints_get_postgres_default_names(files: list[tuple[str, str]]) -> None:
    cases = {
        f'alter table {S}."accounts" add constraint "accounts_base_currency_check" '
        "CHECK (((base_currency)::text = ANY ((ARRAY['USD'::character varying])::text[])));": (
            "schema/20_accounts.sql",
            "CHECK (base_currency IN",
        ),
        f'alter table {S}."accounts" add constraint "accounts_pkey" PRIMARY KEY '
        'using index "accounts_pkey";': ("schema/20_accounts.sql", "account_id          bigint"),
        f'alter table {S}."orders" add constraint "orders_account_id_fkey" FOREIGN KEY '
        f'(account_id) REFERENCES {S}."accounts"(account_id) not valid;': (
            "schema/40_orders.sql",
            "account_id       bigint",
        ),
        f'alter table {S}."trades" add constraint "trades_pkey" PRIMARY KEY '
        'using index "trades_pkey";': ("schema/50_trades.sql", "PRIMARY KEY (trade_id"),
    }
    for stmt, (path, needle) in cases.items():
        assert one(stmt, files) == line_of(files, path, needle), stmt


def test_constraint_index_maps_to_the_constraint(files: list[tuple[str, str]]) -> None:
    stmt = (
        "CREATE UNIQUE INDEX orders_client_order_id_key ON prop_trading_model.orders "
        "USING btree (account_id, client_order_id);"
    )
    assert one(stmt, files) == line_of(
        files, "schema/40_orders.sql", "CONSTRAINT orders_client_order_id_key"
    )


def test_unknown_constraint_falls_back_to_the_table(files: list[tuple[str, str]]) -> None:
    stmt = f'alter table {S}."orders" add constraint "orders_check1" CHECK ((quantity < 1e9));'
    assert one(stmt, files) == ("schema/40_orders.sql", 1)


def test_views_functions_triggers(files: list[tuple[str, str]]) -> None:
    view = f'create or replace view {S}."open_orders" as  SELECT 1 AS x;'
    matview = f'create materialized view {S}."daily_volume" as  SELECT 1 AS x;'
    func = (
        "CREATE OR REPLACE FUNCTION prop_trading_model.apply_fill(p_order_id bigint, "
        "p_quantity numeric, p_price numeric, p_executed_at timestamp with time zone "
        "DEFAULT now())\n RETURNS bigint\n LANGUAGE plpgsql\nAS $function$ BEGIN RETURN 1; "
        "END; $function$\n;"
    )
    trigger = (
        "CREATE TRIGGER positions_touch_updated_at BEFORE UPDATE ON "
        "prop_trading_model.positions FOR EACH ROW EXECUTE FUNCTION "
        "prop_trading_model.touch_updated_at();"
    )
    assert provenance([view, matview, func, trigger], files) == [
        line_of(files, "schema/70_views.sql", "CREATE VIEW prop_trading_model.open_orders"),
        line_of(files, "schema/70_views.sql", "CREATE MATERIALIZED VIEW"),
        line_of(files, "schema/80_functions.sql", "CREATE FUNCTION prop_trading_model.apply_fill"),
        line_of(files, "schema/80_functions.sql", "CREATE TRIGGER positions_touch_updated_at"),
    ]


def test_comments(files: list[tuple[str, str]]) -> None:
    on_table = f"comment on table {S}.\"trades\" is 'Executions';"
    on_column = f'comment on column {S}."orders"."side" is null;'
    assert provenance([on_table, on_column], files) == [
        line_of(files, "schema/50_trades.sql", "COMMENT ON TABLE prop_trading_model.trades"),
        line_of(files, "schema/40_orders.sql", "    side  "),
    ]


def test_serial_sequence_maps_to_the_column(files: list[tuple[str, str]]) -> None:
    stmts = [
        f'create sequence {S}."trades_trade_id_seq";',
        f'alter sequence {S}."trades_trade_id_seq" owned by {S}."trades"."trade_id";',
    ]
    expected = line_of(files, "schema/50_trades.sql", "trade_id       bigserial")
    assert provenance(stmts, files) == [expected, expected]


def test_unknown_and_unparsable_statements_map_to_none(files: list[tuple[str, str]]) -> None:
    stmts = [
        f'create table {S}."nowhere" ("id" integer);',
        "set check_function_bodies = off;",
        "this is not sql;",
        "select 1; select 2;",
    ]
    assert provenance(stmts, files) == [None, None, None, None]
    assert provenance([], files) == []


def test_unqualified_names_resolve_to_public_and_search_path() -> None:
    files = [
        ("a.sql", "create table t (\n  id int primary key,\n  note text\n);\n"),
        (
            "b.sql",
            "set search_path to app, public;\n\ncreate table t (id int);\n"
            "reset search_path;\ncreate table u (id int);\n",
        ),
        (
            "c.sql",
            "-- a new file starts from public again (the loader resets the session)\n"
            "create index t_note_idx on t (note);\n",
        ),
        (
            "d.sql",
            "SELECT pg_catalog.set_config('search_path', '', false);\n"
            "create schema billing\n  create table invoices (id int)\n  "
            "create view v as select 1 as one;\n",
        ),
    ]
    stmts = [
        'alter table "public"."t" add column "note" text;',
        'create table "app"."t" ("id" integer);',
        'create table "public"."u" ("id" integer);',
        "CREATE INDEX t_note_idx ON public.t USING btree (note);",
        'create table "billing"."invoices" ("id" integer);',
        'create or replace view "billing"."v" as  SELECT 1 AS one;',
        'alter table "public"."t" add constraint "t_pkey" PRIMARY KEY using index "t_pkey";',
    ]
    assert provenance(stmts, files) == [
        ("a.sql", 3),
        ("b.sql", 3),
        ("b.sql", 5),
        ("c.sql", 2),
        ("d.sql", 2),
        ("d.sql", 2),
        ("a.sql", 2),
    ]


def test_alter_table_add_in_schema_files_and_overloads() -> None:
    files = [
        (
            "x.sql",
            "create table s.t (id int);\n"
            "alter table s.t\n  add column extra text;\n"
            "alter table only s.t\n  add constraint t_extra_check check (extra <> '');\n"
            "create function s.f(a integer) returns int language sql as 'select 1';\n"
            "create function s.f(a text) returns int language sql as 'select 2';\n",
        )
    ]
    stmts = [
        'alter table "s"."t" add column "extra" text;',
        'alter table "s"."t" add constraint "t_extra_check" CHECK ((extra <> \'\'::text));',
        "CREATE OR REPLACE FUNCTION s.f(a text)\n RETURNS integer\n LANGUAGE sql\n"
        "AS $f$select 2$f$;",
        "CREATE OR REPLACE FUNCTION s.f(a int4)\n RETURNS integer\n LANGUAGE sql\n"
        "AS $f$select 1$f$;",
    ]
    assert provenance(stmts, files) == [("x.sql", 3), ("x.sql", 4), ("x.sql", 7), ("x.sql", 6)]


def test_broken_file_is_skipped_and_offsets_are_characters() -> None:
    files = [
        ("bad.sql", "create table broken (\n"),
        ("ok.sql", "-- Überblick: naïve résumé\ncreate table ok (\n  größe int,\n  b int\n);\n"),
    ]
    stmts = [
        'alter table "public"."ok" add column "b" integer;',
        'alter table "public"."ok" add column "größe" integer;',
        'create table "public"."broken" ("id" integer);',
    ]
    assert provenance(stmts, files) == [("ok.sql", 4), ("ok.sql", 3), None]


def test_index_is_reusable(files: list[tuple[str, str]]) -> None:
    index = build_index(files)
    assert ("relation", "prop_trading_model", "orders") in index.where
    assert ("column", "prop_trading_model", "orders", "client_order_id") in index.where
