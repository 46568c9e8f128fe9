"""Every schema source kind, on both sides of ``diffcheck diff`` and as ``check --desired``.

Kinds: a directory of .sql files, one .sql file (a pg_dump-style script with ``\\restrict``),
a database URL (inspected in place), ``models:pkg.mod:attr`` and ``git:REV:path``. Bad
inputs exit 1 with exactly one ``error:`` line on stderr."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DB, ROOT, Run, no_scratch_created, schema_files

from diffcheck import pg, scratch, sources

RunCli = Callable[..., Run]
MakeDb = Callable[..., DB]

SCHEMA_DDL = "CREATE SCHEMA shop;\n"
TABLE_V1 = """\
CREATE TABLE shop.customers (
    customer_id  bigint PRIMARY KEY,
    email        text NOT NULL
);
CREATE INDEX customers_email_idx ON shop.customers (lower(email));
"""
TABLE_V2 = """\
CREATE TABLE shop.customers (
    customer_id  bigint PRIMARY KEY,
    email        text NOT NULL,
    name         text
);
CREATE INDEX customers_email_idx ON shop.customers (lower(email));
"""
KEY = "uTzvq0bKq8D1lV1vKpGm6uXo2bLr0sWkTqZ4y7hJm1cN5xAeD3fGiP8oQwRtYvU"  # 63 like pg_dump's
# What pg_dump 17.6+/18 writes around a dump: \restrict lines, settings, ALTER ... ADD PRIMARY KEY.
DUMP_TEMPLATE = """\
--
-- PostgreSQL database dump
--

\\restrict {key}

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);

CREATE SCHEMA shop;

CREATE TABLE shop.customers (
    customer_id bigint NOT NULL,
    email text NOT NULL{extra}
);

ALTER TABLE ONLY shop.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (customer_id);

CREATE INDEX customers_email_idx ON shop.customers USING btree (lower(email));

--
-- PostgreSQL database dump complete
--

\\unrestrict {key}
"""
MODELS_TEMPLATE = '''"""The shop schema as SQLAlchemy models."""
from sqlalchemy import BigInteger, Column, Index, MetaData, Table, Text, func

metadata = MetaData(schema="shop")
customers = Table(
    "customers",
    metadata,
    Column("customer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("email", Text, nullable=False),{extra}
)
Index("customers_email_idx", func.lower(customers.c.email))
'''

ADD_NAME = 'alter table "shop"."customers" add column "name" text;'
DROP_NAME = 'alter table "shop"."customers" drop column "name";'
KINDS = ["dir", "file", "url", "models", "git"]


# Overrides conftest's whole-server check: these tests also build on embedded servers.
_no_scratch_left = pytest.fixture(autouse=True, name="_no_scratch_left")(no_scratch_created)


def _git(repo: Path, *args: str) -> str:
    """Run git in a test repository, isolated from the user's configuration."""
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "diffcheck tests",
        "GIT_AUTHOR_EMAIL": "tests@example.invalid",
        "GIT_COMMITTER_NAME": "diffcheck tests",
        "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    }
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout


def _write_schema(directory: Path, table_sql: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "00_schema.sql").write_text(SCHEMA_DDL)
    (directory / "10_customers.sql").write_text(table_sql)


@dataclass
class Project:
    """A project directory holding every non-database source kind at versions 1 and 2."""

    root: Path
    models_v1: str
    models_v2: str

    def spec(self, kind: str, version: int) -> str:
        """The source spec (relative to the project) of ``kind`` at ``version``."""
        return {
            "dir": f"schema_v{version}",
            "file": f"dump_v{version}.sql",
            "models": f"models:{self.models_v1 if version == 1 else self.models_v2}:metadata",
            "git": f"git:v{version}:schema",
        }[kind]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("project")
    _write_schema(root / "schema_v1", TABLE_V1)
    _write_schema(root / "schema_v2", TABLE_V2)
    (root / "dump_v1.sql").write_text(DUMP_TEMPLATE.format(key=KEY, extra=""))
    (root / "dump_v2.sql").write_text(DUMP_TEMPLATE.format(key=KEY, extra=",\n    name text"))
    token = secrets.token_hex(4)  # sys.modules caches modules by name across tests
    models_v1, models_v2 = f"shop_models_v1_{token}", f"shop_models_v2_{token}"
    (root / f"{models_v1}.py").write_text(MODELS_TEMPLATE.format(extra=""))
    (root / f"{models_v2}.py").write_text(
        MODELS_TEMPLATE.format(extra='\n    Column("name", Text),')
    )
    # git: tag v1 and v2 of schema/; the working tree is left at v2.
    _git(root, "init", "-q")
    _write_schema(root / "schema", TABLE_V1)
    _git(root, "add", "schema")
    _git(root, "commit", "-q", "-m", "v1")
    _git(root, "tag", "v1")
    _write_schema(root / "schema", TABLE_V2)
    _git(root, "commit", "-q", "-am", "v2")
    _git(root, "tag", "v2")
    return Project(root, models_v1, models_v2)


@pytest.fixture
def db_versions(make_db: MakeDb) -> Callable[[int], str]:
    """URL of a database holding version 1 or 2 (made on first use)."""
    made: dict[int, str] = {}

    def get(version: int) -> str:
        if version not in made:
            made[version] = make_db(SCHEMA_DDL + (TABLE_V1 if version == 1 else TABLE_V2)).url
        return made[version]

    return get


def _spec(project: Project, db_versions: Callable[[int], str], kind: str, version: int) -> str:
    return db_versions(version) if kind == "url" else project.spec(kind, version)


def _diff_json(run_cli: RunCli, pg_url: str, cwd: Path, a: str, b: str) -> tuple[Run, dict]:
    run = run_cli("diff", a, b, "--format", "json", "--scratch-url", pg_url, cwd=cwd)
    doc = json.loads(run.out) if run.out.strip() else {}
    return run, doc


def _statements(doc: dict) -> list[str]:
    return [s["sql"] for s in doc["statements"]]


def _assert_one_error_line(run: Run) -> str:
    """Exit 1, nothing on stdout, exactly one stderr line starting 'error: '; returns it."""
    assert run.code == 1, (run.code, run.out, run.err)
    assert run.out == "", run.out
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("error: "), run.err
    assert "Traceback" not in run.err
    return lines[0]


def _catalog_snapshot(db: DB) -> list[tuple[object, ...]]:
    """Columns, constraints and indexes of every user schema: proves a source stayed untouched."""
    return db.query(
        """
        select 'col', table_schema, table_name, column_name, data_type
          from information_schema.columns
         where table_schema not in ('pg_catalog', 'information_schema')
        union all
        select 'con', n.nspname, c.conname, pg_get_constraintdef(c.oid), ''
          from pg_constraint c join pg_namespace n on n.oid = c.connamespace
         where n.nspname not in ('pg_catalog', 'information_schema')
        union all
        select 'idx', schemaname, indexname, indexdef, '' from pg_indexes
         where schemaname not in ('pg_catalog', 'information_schema')
        order by 1, 2, 3, 4
        """
    )


# --- every kind on both sides -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_as_from_side(
    run_cli: RunCli, pg_url: str, project: Project, db_versions: Callable[[int], str], kind: str
) -> None:
    a = _spec(project, db_versions, kind, 1)
    run, doc = _diff_json(run_cli, pg_url, project.root, a, "schema_v2")
    assert run.code == 2, (run.out, run.err)
    assert _statements(doc) == [ADD_NAME], doc


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_as_to_side(
    run_cli: RunCli, pg_url: str, project: Project, db_versions: Callable[[int], str], kind: str
) -> None:
    b = _spec(project, db_versions, kind, 2)
    run, doc = _diff_json(run_cli, pg_url, project.root, "dump_v1.sql", b)
    assert run.code == 2, (run.out, run.err)
    assert _statements(doc) == [ADD_NAME], doc
    if kind != "url":
        assert doc["target"]["label"] == b


@pytest.mark.parametrize(
    ("a", "b"), [("dir", "file"), ("file", "url"), ("url", "models"), ("models", "git"),
                 ("git", "dir")],
    ids=lambda k: k,
)  # fmt: skip
def test_every_kind_at_the_same_version_is_in_sync(
    run_cli: RunCli,
    pg_url: str,
    project: Project,
    db_versions: Callable[[int], str],
    a: str,
    b: str,
) -> None:
    run, doc = _diff_json(
        run_cli,
        pg_url,
        project.root,
        _spec(project, db_versions, a, 2),
        _spec(project, db_versions, b, 2),
    )
    assert run.code == 0, (run.out, run.err)
    assert doc["in_sync"] is True and doc["statement_count"] == 0, doc


def test_database_on_both_sides(
    run_cli: RunCli, pg_url: str, project: Project, make_db: MakeDb
) -> None:
    v1 = make_db(SCHEMA_DDL + TABLE_V1)
    v2 = make_db(SCHEMA_DDL + TABLE_V2)
    before = _catalog_snapshot(v1), _catalog_snapshot(v2)
    run, doc = _diff_json(run_cli, pg_url, project.root, v2.url, v1.url)
    assert run.code == 2, (run.out, run.err)
    assert _statements(doc) == [DROP_NAME]
    assert (_catalog_snapshot(v1), _catalog_snapshot(v2)) == before  # read-only on both


def test_example_schema_against_a_database_built_from_it(
    run_cli: RunCli, pg_url: str, make_db: MakeDb
) -> None:
    """A database on the TO side: diff clones it (schema only) as the normalization context
    and never writes to it. The example has partitions, views, functions and triggers."""
    target = make_db(schema_files(ROOT / "schema"))
    before = _catalog_snapshot(target)
    run = run_cli("diff", "schema", target.url, "--scratch-url", pg_url)
    assert run.code == 0, (run.out, run.err)
    assert run.out.startswith("in sync: schema matches ")

    target.execute("alter table prop_trading_model.accounts add column desk text")
    changed = _catalog_snapshot(target)
    run = run_cli("diff", "schema", target.url, "--format", "json", "--scratch-url", pg_url)
    assert run.code == 2, (run.out, run.err)
    assert _statements(json.loads(run.out)) == [
        'alter table "prop_trading_model"."accounts" add column "desk" text;'
    ]
    assert _catalog_snapshot(target) == changed
    assert changed != before


def test_real_pg_dump_on_the_embedded_scratch_server_by_default(
    run_cli: RunCli, make_db: MakeDb, tmp_path: Path
) -> None:
    """No --live, no --scratch-url: scratch databases go to an embedded PostgreSQL 18. The
    single file is a real ``pg_dump --schema-only`` (18, with \\restrict lines) of the example
    schema, which has partitions, views, functions and triggers; it matches schema/."""
    db = make_db(schema_files(ROOT / "schema"))
    dump = pg.pg_dump_schema(db.url, 18, privileges=False, extra=(f"--restrict-key={KEY}",))
    assert f"\\restrict {KEY}" in dump and f"\\unrestrict {KEY}" in dump
    (tmp_path / "dump.sql").write_text(dump)
    run = run_cli("diff", str(tmp_path / "dump.sql"), str(ROOT / "schema"))
    assert run.code == 0, (run.out, run.err)
    assert run.out.startswith("in sync: ")
    assert scratch.alive() == []  # every scratch database was dropped again


def test_pg_dump_restrict_key_starting_with_a_digit(
    run_cli: RunCli, pg_url: str, project: Project, tmp_path: Path
) -> None:
    key = "3" + KEY[1:]
    (tmp_path / "dump.sql").write_text(DUMP_TEMPLATE.format(key=key, extra=""))
    run = run_cli(
        "diff", str(tmp_path / "dump.sql"), "schema_v1", "--scratch-url", pg_url, cwd=project.root
    )
    assert run.code == 0, (run.out, run.err)


# --- git ------------------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with schema/ at v1 committed."""
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    _write_schema(root / "schema", TABLE_V1)
    _git(root, "add", "schema")
    _git(root, "commit", "-q", "-m", "v1")
    return root


def test_git_revision_against_working_tree(run_cli: RunCli, pg_url: str, repo: Path) -> None:
    _write_schema(repo / "schema", TABLE_V2)  # modified, not committed
    status = _git(repo, "status", "--porcelain")
    head = _git(repo, "rev-parse", "HEAD")
    assert status.strip() == "M schema/10_customers.sql"

    run, doc = _diff_json(run_cli, pg_url, repo, "git:HEAD:schema", "schema")
    assert run.code == 2, (run.out, run.err)
    assert _statements(doc) == [ADD_NAME]
    assert doc["source"]["label"] == "git:HEAD:schema"

    run, doc = _diff_json(run_cli, pg_url, repo, "schema", "git:HEAD~0:schema")
    assert run.code == 2, (run.out, run.err)
    assert _statements(doc) == [DROP_NAME]

    run, doc = _diff_json(run_cli, pg_url, repo, "git:HEAD~0:schema", "git:HEAD:schema")
    assert run.code == 0, (run.out, run.err)

    # Nothing was checked out, staged or changed.
    assert _git(repo, "status", "--porcelain") == status
    assert _git(repo, "rev-parse", "HEAD") == head
    assert (repo / "schema" / "10_customers.sql").read_text() == TABLE_V2

    _git(repo, "commit", "-q", "-am", "v2")
    run, doc = _diff_json(run_cli, pg_url, repo, "git:HEAD~1:schema", "git:HEAD:schema")
    assert run.code == 2, (run.out, run.err)
    assert _statements(doc) == [ADD_NAME]
    run, doc = _diff_json(run_cli, pg_url, repo, "git:HEAD:schema", "schema")
    assert run.code == 0, (run.out, run.err)


def test_git_single_file_and_project_dir(run_cli: RunCli, pg_url: str, repo: Path) -> None:
    """git:REV:path may name one file; paths are relative to --project-dir."""
    run = run_cli(
        "--project-dir", str(repo),
        "diff", "git:HEAD:schema/00_schema.sql", "git:HEAD:schema", "--format", "json",
        "--scratch-url", pg_url,
    )  # fmt: skip
    assert run.code == 2, (run.out, run.err)
    statements = _statements(json.loads(run.out))
    assert statements[0].startswith('create table "shop"."customers"'), statements


# --- check --desired ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("in_sync", "out_of_sync"),
    [("dump_v2.sql", "dump_v1.sql"), ("git:v2:schema", "git:v1:schema"), ("models", "models")],
    ids=["file", "git", "models"],
)
def test_check_with_desired_source(
    run_cli: RunCli,
    project: Project,
    make_db: MakeDb,
    tmp_path: Path,
    in_sync: str,
    out_of_sync: str,
) -> None:
    if in_sync == "models":
        in_sync, out_of_sync = project.spec("models", 2), project.spec("models", 1)
    live = make_db(SCHEMA_DDL + TABLE_V2)
    env = {"DIFFCHECK_CACHE_DIR": str(tmp_path / "cache")}
    for _ in range(2):  # the second run answers from the desired-inspection cache
        run = run_cli("check", "--live", live.url, "--desired", in_sync, cwd=project.root, env=env)
        assert run.code == 0, (run.out, run.err)
        assert run.out.startswith("in sync: ")
    run = run_cli(
        "check", "--live", live.url, "--desired", out_of_sync, "--format", "json",
        cwd=project.root, env=env,
    )  # fmt: skip
    assert run.code == 2, (run.out, run.err)
    assert _statements(json.loads(run.out)) == [DROP_NAME]


# --- bad inputs: exit 1, one error line -----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("foo:bar", "unknown source prefix 'foo:'"),
        ("models:nope_no_such_pkg.mod:Base", "cannot import nope_no_such_pkg.mod"),
        ("models:examples.models:NoSuchBase", "examples.models has no attribute 'NoSuchBase'"),
        ("models:examples.models:SCHEMA", "SCHEMA is neither a MetaData nor a declarative Base"),
        ("models:examples.models", "expected pkg.module:attr"),
        ("git:no-such-rev:schema", "git:no-such-rev:schema: fatal: not a valid object name"),
        ("git:HEAD:no_such_dir", "did not match any files"),
        ("git:--output=/tmp/x:schema", "revision may not start with '-'"),
        ("git:HEAD", "expected git:REV:path"),
        ("no/such/dir", "schema source not found: no/such/dir"),
        ("mysql://db/x", "unknown source prefix 'mysql://'"),
    ],
)
def test_bad_source_is_one_error_line(
    run_cli: RunCli, repo: Path, source: str, expected: str
) -> None:
    """Resolved before any database work: no server is needed to report these."""
    _copy_examples(repo)
    for args in (("diff", source, "schema"), ("diff", "schema", source)):
        line = _assert_one_error_line(run_cli(*args, cwd=repo))
        assert expected in line, line
    # check resolves the desired source before it connects to live (unreachable here).
    line = _assert_one_error_line(
        run_cli("check", "--live", "postgresql://nobody@127.0.0.1:1/x", "--desired", source,
                cwd=repo)
    )  # fmt: skip
    assert expected in line, line


def _copy_examples(repo: Path) -> None:
    """Make ``examples.models`` importable from the repository (it is the project dir)."""
    target = repo / "examples"
    if not target.exists():
        target.mkdir()
        for name in ("__init__.py", "models.py"):
            (target / name).write_text((ROOT / "examples" / name).read_text())


@pytest.mark.parametrize(
    ("files", "spec", "expected"),
    [
        # A server error (unknown type) at line 3 of the second file of a directory.
        (
            {"bad/00_schema.sql": SCHEMA_DDL,
             "bad/10_table.sql": "CREATE TABLE shop.t (\n    id bigint,\n    x nosuchtype\n);\n"},
            "bad",
            'error: bad/10_table.sql:3:7: type "nosuchtype" does not exist',
        ),
        # A syntax error in a single file.
        (
            {"broken.sql": "CREATE SCHEMA s;\n\nCREATE TABLE s.t (id int,);\n"},
            "broken.sql",
            'error: broken.sql:3:26: syntax error at or near ")"',
        ),
        # A statement that fails in a file read from git names the revision too.
        (
            {"schema/00_schema.sql": SCHEMA_DDL,
             "schema/20_bad.sql": "\n\nCREATE INDEX i ON shop.missing (id);\n"},
            "git:HEAD:schema",
            'error: git:HEAD:schema/20_bad.sql:3:',
        ),
        # A positioned error deep in a batch, after statements that load: still its line.
        (
            {"many.sql": "CREATE SCHEMA s;\n" + "".join(
                f"CREATE TABLE s.t{i} (id int);\n" for i in range(20))
             + "CREATE TABLE s.u (id int, v s.t3x);\n"
             + "".join(f"CREATE TABLE s.w{i} (id int);\n" for i in range(20))},
            "many.sql",
            'error: many.sql:22:29: type "s.t3x" does not exist',
        ),
    ],
    ids=["dir-server-error", "file-syntax-error", "git-server-error", "mid-batch"],
)  # fmt: skip
def test_file_that_fails_to_load_names_file_and_line(
    run_cli: RunCli, pg_url: str, repo: Path, files: dict[str, str], spec: str, expected: str
) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if spec.startswith("git:"):
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "bad")
    line = _assert_one_error_line(
        run_cli("diff", spec, "schema", "--scratch-url", pg_url, cwd=repo)
    )
    assert line.startswith(expected), line


def test_file_that_psql_loads_statement_by_statement_loads(
    run_cli: RunCli, pg_url: str, repo: Path
) -> None:
    """diffcheck loads a file in transactions of many statements; a file that only fails as
    one transaction (a value added to an enum, then used) loads, as it does with psql -f."""
    (repo / "enum.sql").write_text(
        "CREATE TYPE mood AS ENUM ('sad');\n"
        "ALTER TYPE mood ADD VALUE 'happy';\n"
        "CREATE TABLE t (m mood NOT NULL DEFAULT 'happy');\n"
    )
    r = run_cli("diff", "schema", "enum.sql", "--scratch-url", pg_url, cwd=repo)
    assert r.code == 2, (r.out, r.err)  # they differ
    assert "as enum ('sad', 'happy')" in r.out, r.out
    assert "default 'happy'::mood" in r.out, r.out


def test_git_source_reads_files_in_directory_order(repo: Path) -> None:
    """No database: git:REV:path lists the same files in the same order as the directory,
    and a single file named exactly is read whatever its suffix."""
    (repo / "schema" / "sub").mkdir()
    (repo / "schema" / "sub" / "05_x.sql").write_text("SELECT 1;\n")
    (repo / "schema" / "sub-a.sql").write_text("SELECT 2;\n")
    (repo / "dump.psql").write_text("SELECT 3;\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "more")
    from_git = sources.resolve("git:HEAD:schema", str(repo)).files()
    from_dir = sources.resolve("schema", str(repo)).files()
    assert [(p.removeprefix("git:HEAD:"), t) for p, t in from_git] == from_dir
    assert [p for p, _ in from_dir] == [
        "schema/00_schema.sql",
        "schema/10_customers.sql",
        "schema/sub/05_x.sql",
        "schema/sub-a.sql",
    ]
    assert sources.resolve("git:HEAD:dump.psql", str(repo)).files() == [
        ("git:HEAD:dump.psql", "SELECT 3;\n")
    ]
