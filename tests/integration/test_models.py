"""``models:`` sources: SQLAlchemy metadata materialized with ``create_all`` and compared like
any other schema source.

* ``examples/models.py`` describes the tables of ``schema/``; with the documented exclusions
  (partitions, views, functions and triggers, which SQLAlchemy cannot express) they agree;
* a copy of the models with one column removed differs by exactly that column;
* a custom schema, an enum and a partial index built from models match the equivalent SQL.
"""

from __future__ import annotations

import fnmatch
import json
import re
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DB, ROOT, Run, no_scratch_created, schema_files

from diffcheck import pg, sources

if str(ROOT) not in sys.path:  # examples/ is not an installed package
    sys.path.insert(0, str(ROOT))

from examples.models import EXCLUDE

SCHEMA = ROOT / "schema"
MODELS_FILE = ROOT / "examples" / "models.py"
EXCLUDE_ARGS = [arg for glob in EXCLUDE for arg in ("--exclude", glob)]

RunCli = Callable[..., Run]


# Overrides conftest's whole-server check: these tests also build on embedded servers.
_no_scratch_left = pytest.fixture(autouse=True, name="_no_scratch_left")(no_scratch_created)


def _module_name(stem: str) -> str:
    """A module name no earlier test imported (sys.modules caches by name)."""
    return f"{stem}_{secrets.token_hex(4)}"


def _json(run: Run) -> dict[str, object]:
    doc = json.loads(run.out)
    assert isinstance(doc, dict)
    return doc


def _sql(doc: dict[str, object]) -> list[str]:
    statements = doc["statements"]
    assert isinstance(statements, list)
    return [s["sql"] for s in statements]


_QUALIFIED = re.compile(r'"?prop_trading_model"?\."?(\w+)"?')


def _mentioned(sql: str) -> set[str]:
    """``prop_trading_model.name`` of every schema-qualified name in a statement."""
    return {f"prop_trading_model.{name}" for name in _QUALIFIED.findall(sql)}


# --- the example models agree with schema/ ----------------------------------------------------


def test_example_models_match_schema_directory(run_cli: RunCli, pg_url: str) -> None:
    run = run_cli(
        "diff", "models:examples.models:Base", "schema", *EXCLUDE_ARGS, "--scratch-url", pg_url
    )
    assert run.code == 0, (run.out, run.err)
    assert run.out.startswith("in sync: models:examples.models:Base matches schema")


def test_example_schema_matches_models_in_the_other_direction(run_cli: RunCli, pg_url: str) -> None:
    run = run_cli(
        "diff", str(SCHEMA), "models:examples.models:Base", *EXCLUDE_ARGS, "--scratch-url", pg_url
    )
    assert run.code == 0, (run.out, run.err)


def test_exclusions_are_all_needed_and_cover_only_what_models_cannot_express(
    run_cli: RunCli, pg_url: str
) -> None:
    """Without --exclude, the only differences are the partitions, views, functions and
    triggers; every exclusion glob matches at least one of them (the list is minimal)."""
    run = run_cli(
        "diff", "models:examples.models:Base", "schema", "--format", "json",
        "--scratch-url", pg_url,
    )  # fmt: skip
    assert run.code == 2, (run.out, run.err)
    statements = [s for s in _sql(_json(run)) if not s.lower().startswith("set ")]
    matched: set[str] = set()
    mentioned: set[str] = set()
    for sql in statements:
        names = _mentioned(sql)
        mentioned |= names
        # A partition's own indexes ("<partition>_pkey", ..._idx) are excluded with it.
        globs = {
            g
            for g in EXCLUDE
            for name in names
            if fnmatch.fnmatchcase(name, g) or fnmatch.fnmatchcase(name, g + "_*")
        }
        assert globs, f"a difference the exclusions do not cover: {sql}"
        matched |= globs
    assert matched == set(EXCLUDE), f"unused exclusions: {set(EXCLUDE) - matched}"
    partitions = {f"prop_trading_model.trades_2026_0{m}" for m in range(1, 7)}
    assert mentioned >= partitions | {
        "prop_trading_model.trades_default",
        "prop_trading_model.open_orders",
        "prop_trading_model.daily_volume",
        "prop_trading_model.apply_fill",
        "prop_trading_model.touch_updated_at",
    }, statements
    triggers = [s for s in statements if s.upper().startswith("CREATE TRIGGER")]
    assert sorted(t.split()[2] for t in triggers) == [
        "orders_touch_updated_at",
        "positions_touch_updated_at",
    ]


def test_example_models_carry_the_same_comments(make_db: Callable[..., DB]) -> None:
    """Comments (schema and tables) are compared by PostgreSQL's catalogs directly, so the
    models stay honest even where the engine does not compare comments yet."""
    from_sql = make_db(schema_files(SCHEMA))
    from_models = make_db()
    source = sources.resolve("models:examples.models:Base", str(ROOT))
    with pg.connection(from_models.url, autocommit=True) as conn:
        source.materialize(conn, from_models.url)
    query = """
        select c.relname, obj_description(c.oid, 'pg_class')
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'prop_trading_model' and c.relkind in ('r', 'p')
           and not c.relispartition
        union all
        select '(schema)', obj_description(oid, 'pg_namespace')
          from pg_namespace where nspname = 'prop_trading_model'
        order by 1
    """
    expected = from_sql.query(query)
    assert len(expected) == 6  # five tables and the schema
    assert from_models.query(query) == expected


# --- one column removed -------------------------------------------------------------------------


def test_models_missing_one_column_differ_by_exactly_that_column(
    run_cli: RunCli, pg_url: str, tmp_path: Path
) -> None:
    text = MODELS_FILE.read_text()
    column = "    realized_pnl: Mapped[decimal.Decimal] = mapped_column("
    start = text.index(column)
    end = text.index("\n", text.index(")", start)) + 1
    removed = text[:start] + text[end:]
    assert "realized_pnl" not in removed
    module = _module_name("models_without_pnl")
    (tmp_path / f"{module}.py").write_text(removed)

    run = run_cli(
        "--project-dir", str(tmp_path),
        "diff", f"models:{module}:Base", str(SCHEMA), *EXCLUDE_ARGS,
        "--format", "json", "--scratch-url", pg_url,
    )  # fmt: skip
    assert run.code == 2, (run.out, run.err)
    doc = _json(run)
    assert doc["in_sync"] is False
    assert doc["statement_count"] == 1, doc
    [sql] = _sql(doc)
    assert re.fullmatch(
        r'alter table "prop_trading_model"\."positions" add column "realized_pnl" '
        r"numeric\(20,2\) not null default 0;",
        sql,
    ), sql

    # ... and the other way round, removing it, with cwd as the import root.
    run = run_cli(
        "diff", str(SCHEMA), f"models:{module}:Base", *EXCLUDE_ARGS,
        "--format", "json", "--scratch-url", pg_url, cwd=tmp_path,
    )  # fmt: skip
    assert run.code == 2, (run.out, run.err)
    doc = _json(run)
    assert doc["statement_count"] == 1, doc
    assert _sql(doc) == ['alter table "prop_trading_model"."positions" drop column "realized_pnl";']


# --- custom schema, enum, partial index ---------------------------------------------------------

INVENTORY_MODELS = '''
"""Core-style metadata in its own schema, with an enum and a partial unique index."""
from sqlalchemy import Boolean, Column, Enum, Index, Integer, MetaData, Table, Text, text

metadata = MetaData(schema="inventory")
item_status = Enum(
    "draft", "active", "retired", name="item_status", schema="inventory", metadata=metadata
)
items = Table(
    "items",
    metadata,
    Column("item_id", Integer, primary_key=True),
    Column("sku", Text, nullable=False),
    Column("status", item_status, nullable=False, server_default=text("'draft'")),
    Column("archived", Boolean, nullable=False, server_default=text("false")),
    comment="Stock keeping units.",
)
Index("items_live_sku_uidx", items.c.sku, unique=True, postgresql_where=items.c.status != "retired")
Index("items_archived_idx", items.c.item_id, postgresql_where=items.c.archived)
'''

INVENTORY_SQL = """
CREATE SCHEMA inventory;
CREATE TYPE inventory.item_status AS ENUM ('draft', 'active', 'retired');
CREATE TABLE inventory.items (
    item_id  serial PRIMARY KEY,
    sku      text NOT NULL,
    status   inventory.item_status NOT NULL DEFAULT 'draft',
    archived boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE inventory.items IS 'Stock keeping units.';
CREATE UNIQUE INDEX items_live_sku_uidx ON inventory.items (sku) WHERE status <> 'retired';
CREATE INDEX items_archived_idx ON inventory.items (item_id) WHERE archived;
"""


@pytest.fixture
def inventory(tmp_path: Path) -> str:
    """A models module (in tmp_path) and inventory.sql beside it; returns the module name."""
    module = _module_name("inventory_models")
    (tmp_path / f"{module}.py").write_text(INVENTORY_MODELS)
    (tmp_path / "inventory.sql").write_text(INVENTORY_SQL)
    return module


def test_models_with_schema_enum_and_partial_index_match_sql_file(
    run_cli: RunCli, pg_url: str, tmp_path: Path, inventory: str
) -> None:
    run = run_cli(
        "diff", f"models:{inventory}:metadata", "inventory.sql", "--scratch-url", pg_url,
        cwd=tmp_path,
    )  # fmt: skip
    assert run.code == 0, (run.out, run.err)
    assert run.out.startswith(f"in sync: models:{inventory}:metadata matches inventory.sql")


@pytest.mark.parametrize(
    ("old", "new", "expect"),
    [
        # The partial index predicate is compared ...
        ("WHERE status <> 'retired'", "WHERE status <> 'draft'", "items_live_sku_uidx"),
        # ... and so are the enum's labels.
        ("'active', 'retired'", "'active', 'retired', 'lost'", "add value 'lost'"),
    ],
    ids=["partial-index-predicate", "enum-label"],
)
def test_models_with_schema_enum_and_partial_index_detect_differences(
    run_cli: RunCli,
    pg_url: str,
    tmp_path: Path,
    inventory: str,
    old: str,
    new: str,
    expect: str,
) -> None:
    changed = INVENTORY_SQL.replace(old, new)
    assert changed != INVENTORY_SQL
    (tmp_path / "inventory.sql").write_text(changed)
    run = run_cli(
        "diff", f"models:{inventory}:metadata", "inventory.sql", "--format", "json",
        "--scratch-url", pg_url, cwd=tmp_path,
    )  # fmt: skip
    assert run.code == 2, (run.out, run.err)
    statements = _sql(_json(run))
    assert statements and all("inventory" in s for s in statements), statements
    assert any(expect in s for s in statements), statements
