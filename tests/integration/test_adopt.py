"""`diffcheck init` and `diffcheck pull` against a real PostgreSQL.

init must write a schema/ that `check` finds in sync with the database it came from (every
real schema of the corpus, both layouts), byte-identically on a re-run; leave legacy version
tables out and exclude them in pyproject.toml; and refuse a non-empty directory. pull must
bring a hotfix back by touching only the file that owns the changed object."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest
from conftest import CORPUS

from diffcheck import adopt, cli, pg
from diffcheck.adopt_layout import MARKER
from diffcheck.adopt_project import with_excludes
from diffcheck.errors import ConfigError

# Until cli.py registers the adopt commands itself.
if "init" not in cli.cli.commands:
    adopt.register(cli.cli)

SLOW = ("musicbrainz", "chado")
REAL = ["pagila", "openstreetmap", "danbooru", "lago", "musicbrainz", "chado"]
LAYOUTS = ["per-schema", "per-object"]


def _real_params() -> list[object]:
    return [
        pytest.param(name, layout, id=f"{name}-{layout}", marks=[pytest.mark.slow] * (name in SLOW))
        for name in REAL
        for layout in LAYOUTS
    ]


def _load(make_db, path: Path):
    """A database loaded from a corpus file with psql, the way the corpus was verified
    (some files need psql's statement-at-a-time transactions)."""
    db = make_db()
    with pg.connection(db.url) as conn:
        major = pg.server_major(conn)
    pg.psql_restore(db.url, major, path.read_text())
    return db


def _files(root: Path) -> dict[str, str]:
    """Every file under root (relative path -> sha256)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*.sql")}


def _one_error_line(run) -> str:
    assert run.code == 1, (run.code, run.out, run.err)
    lines = run.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.err
    return lines[0]


# --- init on real schemas -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "layout"), _real_params())
def test_init_then_check_is_in_sync(run_cli, make_db, tmp_path, name, layout):
    live = _load(make_db, CORPUS / f"{name}.sql")
    run = run_cli("init", "--live", live.url, "--layout", layout, cwd=tmp_path)
    assert run.code == 0, (run.out, run.err)
    schema = tmp_path / "schema"
    texts = {p: p.read_text() for p in sorted(schema.rglob("*.sql"))}
    assert texts, run.out
    for path, text in texts.items():
        assert text.startswith(MARKER.format(layout=layout)), path
        # No session noise, no ownership: files are plain, portable DDL. (Checked per line:
        # a function's own SET search_path clause is not noise.)
        for line in text.splitlines():
            if line == "SET check_function_bodies = false;":
                continue
            assert not line.startswith(("SET ", "SELECT pg_catalog.set_config", "\\")), line
            assert not (line.startswith("ALTER ") and " OWNER TO " in line), line
        assert "Dumped from" not in text
    # check reads the exclude init may have written (Rails schemas have schema_migrations).
    check = run_cli("check", "--live", live.url, cwd=tmp_path)
    if name == "musicbrainz":
        # Its C-language function needs a superuser: the contained build refuses it at its
        # line, saying how to build trusted SQL (docs/safety.md), and then it is in sync.
        line = _one_error_line(check)
        assert "permission denied for language c" in line and "--trust-schema-sql" in line
        check = run_cli("check", "--live", live.url, "--trust-schema-sql", cwd=tmp_path)
    assert check.code == 0, (check.out, check.err)
    assert check.out.startswith("in sync: ")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_init_is_idempotent(run_cli, make_db, tmp_path, layout):
    live = _load(make_db, CORPUS / "lago.sql")  # two schemas, partitions, many kinds
    schema = tmp_path / "schema"
    first = run_cli("init", "--live", live.url, "--layout", layout, cwd=tmp_path)
    assert first.code == 0, first.err
    hashes, mtimes = _files(schema), _mtimes(schema)
    assert len(hashes) > 2
    second = run_cli("init", "--live", live.url, "--layout", layout, "--force", cwd=tmp_path)
    assert second.code == 0, second.err
    assert _files(schema) == hashes
    assert _mtimes(schema) == mtimes, "identical files must not even be rewritten"
    assert " 0 written" in second.out, second.out


def test_init_refuses_a_non_empty_directory(run_cli, make_db, tmp_path):
    live = make_db("create table t (id int primary key);")
    out = tmp_path / "schema"
    out.mkdir()
    (out / "README.md").write_text("hand-written notes\n")
    run = run_cli("init", "--live", live.url, "--out", str(out), cwd=tmp_path)
    line = _one_error_line(run)
    assert "not empty" in line and "--force" in line, line
    assert _files(out) == {"README.md": hashlib.sha256(b"hand-written notes\n").hexdigest()}
    assert not (tmp_path / "pyproject.toml").exists()


def test_init_force_keeps_other_files_and_removes_stale_sql(run_cli, make_db, tmp_path):
    live = make_db("create table t (id int primary key);")
    out = tmp_path / "schema"
    out.mkdir()
    (out / "README.md").write_text("notes\n")
    (out / "old.sql").write_text("create table old (id int);\n")
    run = run_cli("init", "--live", live.url, "--force", cwd=tmp_path)
    assert run.code == 0, run.err
    assert (out / "README.md").read_text() == "notes\n"
    assert not (out / "old.sql").exists()
    assert run_cli("check", "--live", live.url, cwd=tmp_path).code == 0


def test_cross_schema_dependencies_load_in_order(run_cli, make_db, tmp_path):
    # Schema "a" sorts first but depends on "b": the view and the foreign key have to be
    # written after b's table, whatever the file names.
    live = make_db(
        """
        create schema b;
        create schema a;
        create table b.items (id int primary key, name text);
        create table a.orders (id int primary key, item_id int references b.items);
        create view a.named_orders as
            select o.id, i.name from a.orders o join b.items i on i.id = o.item_id;
        create function a.count_items() returns bigint language sql
            as 'select count(*) from b.items';
        create index items_upper on b.items (upper(name));
        """
    )
    for layout in LAYOUTS:
        out = tmp_path / layout
        run = run_cli(
            "init", "--live", live.url, "--layout", layout, "--out", str(out), cwd=tmp_path
        )
        assert run.code == 0, run.err
        check = run_cli("check", "--live", live.url, "--desired", str(out), cwd=tmp_path)
        assert check.code == 0, (layout, check.out, check.err)
    per_schema = tmp_path / "per-schema"
    assert sorted(_files(per_schema)) == [
        "1_pre_data/00_database.sql",
        "1_pre_data/a.sql",
        "1_pre_data/b.sql",
        "2_post_data/a.sql",
        "2_post_data/b.sql",
    ]
    moved = (per_schema / "1_pre_data/b.sql").read_text()
    assert "CREATE VIEW a.named_orders" in moved
    assert (
        "-- VIEW a.named_orders: written here, after what it depends on, not in "
        "1_pre_data/a.sql." in moved
    )
    assert "FOREIGN KEY (item_id) REFERENCES b.items(id)" in (
        per_schema / "2_post_data/b.sql"
    ).read_text()


# --- legacy version tables ------------------------------------------------------------------------

LEGACY = """
create schema legacy;
create table public.accounts (id bigint generated always as identity primary key, name text);
create table public.alembic_version (
    version_num varchar(32) not null constraint alembic_version_pkc primary key);
create table legacy.schema_migrations (version varchar primary key);
create table public.schema_version (
    id serial primary key, version int not null, applied_at timestamptz default now());
comment on table public.schema_version is 'the old in-house tool';
create index on public.schema_version (applied_at);
create table public.flyway_schema_history (
    installed_rank int primary key, version varchar(50), success boolean not null);
create index flyway_schema_history_s_idx on public.flyway_schema_history (success);
"""

PYPROJECT = """# The trading desk's project.
[project]
name = "trading"

[tool.diffcheck]
desired = "schema"  # reviewed in pull requests

[tool.other]
setting = 1
"""


def test_version_tables_are_excluded_and_recorded(run_cli, make_db, tmp_path):
    live = make_db(LEGACY)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    run = run_cli("init", "--live", live.url, cwd=tmp_path)
    assert run.code == 0, run.err
    for table in (
        "legacy.schema_migrations",
        "public.alembic_version",
        "public.flyway_schema_history",
        "public.schema_version",
    ):
        assert table in run.out, run.out
    text = "\n".join(p.read_text() for p in (tmp_path / "schema").rglob("*.sql"))
    assert "public.accounts" in text
    for name in ("alembic_version", "schema_migrations", "schema_version", "flyway_"):
        assert name not in text, name
    new = (tmp_path / "pyproject.toml").read_text()
    table = tomllib.loads(new)["tool"]
    assert table["other"] == {"setting": 1}
    assert table["diffcheck"]["desired"] == "schema"
    assert sorted(table["diffcheck"]["exclude"]) == [
        "legacy.schema_migrations",
        "public.alembic_version",
        "public.flyway_schema_history",
        "public.schema_version",
        "public.schema_version_id_seq",  # its serial's sequence, compared on its own
    ]
    # A careful, minimal edit: every original line is still there, in order.
    lines = iter(new.splitlines())
    assert all(any(old == cur for cur in lines) for old in PYPROJECT.splitlines())
    check = run_cli("check", "--live", live.url, cwd=tmp_path)
    assert check.code == 0, (check.out, check.err)
    # Re-running changes nothing, pyproject included.
    again = run_cli("init", "--live", live.url, "--force", cwd=tmp_path)
    assert again.code == 0, again.err
    assert (tmp_path / "pyproject.toml").read_text() == new


def test_version_tables_kept_on_request(run_cli, make_db, tmp_path):
    live = make_db(LEGACY)
    run = run_cli("init", "--live", live.url, "--keep-version-tables", cwd=tmp_path)
    assert run.code == 0, run.err
    text = "\n".join(p.read_text() for p in (tmp_path / "schema").rglob("*.sql"))
    assert "CREATE TABLE public.alembic_version" in text
    assert not (tmp_path / "pyproject.toml").exists()
    assert run_cli("check", "--live", live.url, cwd=tmp_path).code == 0


def test_a_version_table_something_depends_on_is_kept(run_cli, make_db, tmp_path):
    live = make_db(
        "create table schema_migrations (version varchar primary key);"
        "create view applied as select version from schema_migrations;"
    )
    run = run_cli("init", "--live", live.url, cwd=tmp_path)
    assert run.code == 0, run.err
    assert "kept public.schema_migrations" in run.out and "VIEW public.applied" in run.out
    assert not (tmp_path / "pyproject.toml").exists()
    assert run_cli("check", "--live", live.url, cwd=tmp_path).code == 0


def test_pyproject_edits_are_minimal():
    path = Path("pyproject.toml")
    assert with_excludes(None, ["public.a"], path) == (
        "[tool.diffcheck]\n"
        "# Legacy migration-tool version tables: bookkeeping, not schema (diffcheck init).\n"
        'exclude = ["public.a"]\n'
    )
    text = '[project]\nname = "x"\n'
    assert with_excludes(text, ["public.a"], path).startswith(text)
    multi = '[tool.diffcheck]\nexclude = [\n  "app.t_*",  # partitions\n]\nquiet = true\n'
    new = with_excludes(multi, ["public.a"], path)
    assert tomllib.loads(new)["tool"]["diffcheck"] == {
        "exclude": ["app.t_*", "public.a"],
        "quiet": True,
    }
    assert with_excludes(new, ["public.a"], path) is None  # already there
    with pytest.raises(ConfigError, match="by hand"):
        with_excludes('tool.diffcheck.quiet = true\n', ["public.a"], path)


# --- pull -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "layout", "alter", "owner"),
    [
        pytest.param(
            "pagila",
            "per-object",
            "alter table public.actor add column nickname text",
            "1_pre_data/public/30_tables.sql",
            id="pagila-per-object",
        ),
        pytest.param(
            "lago",
            "per-schema",
            "alter table partman.template_public_enriched_events add column nickname text",
            "1_pre_data/partman.sql",
            id="lago-per-schema",
        ),
    ],
)
def test_pull_touches_only_the_owning_file(run_cli, make_db, tmp_path, name, layout, alter, owner):
    live = _load(make_db, CORPUS / f"{name}.sql")
    schema = tmp_path / "schema"
    assert run_cli("init", "--live", live.url, "--layout", layout, cwd=tmp_path).code == 0
    before = _files(schema)
    live.execute(alter)  # the hotfix, made directly on live
    assert run_cli("check", "--live", live.url, cwd=tmp_path).code == 2
    run = run_cli("pull", "--live", live.url, cwd=tmp_path)
    assert run.code == 0, (run.out, run.err)
    after = _files(schema)
    assert sorted(after) == sorted(before)
    assert [rel for rel in after if after[rel] != before[rel]] == [owner]
    assert f"+++ b/schema/{owner}" in run.out and "+    nickname text" in run.out, run.out
    check = run_cli("check", "--live", live.url, cwd=tmp_path)
    assert check.code == 0, (check.out, check.err)
    again = run_cli("pull", "--live", live.url, cwd=tmp_path)
    assert again.code == 0 and again.out.startswith("nothing to pull"), again.out
    assert _files(schema) == after


def test_pull_into_hand_written_files(run_cli, make_db, tmp_path):
    schema = tmp_path / "schema"
    schema.mkdir()
    tables = (
        "-- Accounts and trades, written by hand.\n"
        "create table accounts (id int primary key, name text not null);\n\n"
        "create table trades (\n"
        "    id bigint primary key,\n"
        "    account_id int not null references accounts,\n"
        "    qty numeric not null\n"
        ");\n"
    )
    indexes = "create index trades_account on trades (account_id);\n"
    (schema / "01_tables.sql").write_text(tables)
    (schema / "02_indexes.sql").write_text(indexes)
    live = make_db(tables + indexes)
    live.execute(
        "alter table trades add column note text;"
        "create index trades_qty on trades (qty);"
        "create table desks (id int primary key);"
    )
    run = run_cli("pull", "--live", live.url, cwd=tmp_path)
    assert run.code == 0, (run.out, run.err)
    assert (schema / "02_indexes.sql").read_text() == indexes  # unrelated: untouched
    new = (schema / "01_tables.sql").read_text()
    assert new.startswith(tables)  # appended, nothing rewritten
    assert "-- Pulled from live by diffcheck pull:" in new
    assert '"note" text' in new and "trades_qty" in new and '"desks"' in new
    assert "+++ b/schema/01_tables.sql" in run.out
    check = run_cli("check", "--live", live.url, cwd=tmp_path)
    assert check.code == 0, (check.out, check.err)


def test_pull_with_nothing_to_do_and_without_schema(run_cli, make_db, tmp_path):
    live = make_db("create table t (id int primary key);")
    missing = run_cli("pull", "--live", live.url, cwd=tmp_path)
    assert "run diffcheck init first" in _one_error_line(missing)
    assert run_cli("init", "--live", live.url, cwd=tmp_path).code == 0
    before = _files(tmp_path / "schema")
    run = run_cli("pull", "--live", live.url, cwd=tmp_path)
    assert run.code == 0 and run.out.startswith("nothing to pull: schema matches live"), run.out
    assert _files(tmp_path / "schema") == before
