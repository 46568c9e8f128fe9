"""diffcheck's own bookkeeping (the ``diffcheck`` schema: history table, its sequence, index,
comment, grants and default privileges) never reaches schema/ through ``init`` or ``pull``,
and ``check`` never reports it, whether or not privileges are compared."""

from __future__ import annotations

from pathlib import Path

import pytest

from diffcheck import adopt, cli, history, pg

if "init" not in cli.cli.commands:  # as in test_adopt
    adopt.register(cli.cli)

APP = """
create table public.accounts (id int primary key, name text not null);
create view public.names as select name from public.accounts;
"""

# What an apply leaves on live (ensure_history), plus what a DBA may add around it.
BOOKKEEPING = """
grant usage on schema diffcheck to public;
grant select on diffcheck.history to public;
grant usage on sequence diffcheck.history_id_seq to public;
comment on schema diffcheck is 'diffcheck bookkeeping';
comment on column diffcheck.history.sql is 'the applied statements';
create index history_started on diffcheck.history (started_at);
alter default privileges in schema diffcheck grant select on tables to public;
"""


@pytest.fixture
def live(make_db):
    db = make_db(APP)
    with pg.connection(db.url) as conn, conn.cursor() as cur:
        history.ensure_history(cur)
        conn.commit()
    db.execute(BOOKKEEPING)
    assert db.query("select count(*) from diffcheck.history") == [(0,)]
    return db


def _mentions_bookkeeping(root: Path) -> list[str]:
    hits = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            text = path.read_text().lower()
            if "diffcheck." in text or "schema diffcheck" in text or "history_id_seq" in text:
                hits.append(path.name)
    return hits


@pytest.mark.parametrize("privileges", [[], ["--with-privileges"]], ids=["plain", "privileges"])
@pytest.mark.parametrize("layout", ["per-schema", "per-object"])
def test_init_leaves_bookkeeping_out_and_check_is_in_sync(
    run_cli, live, tmp_path, layout, privileges
):
    run = run_cli("init", "--live", live.url, "--layout", layout, *privileges, cwd=tmp_path)
    assert run.code == 0, (run.out, run.err)
    schema = tmp_path / "schema"
    assert any(schema.rglob("*.sql"))
    assert "accounts" in "".join(p.read_text() for p in schema.rglob("*.sql"))
    assert _mentions_bookkeeping(schema) == []
    assert not (schema / "diffcheck").exists()
    check = run_cli("check", "--live", live.url, *privileges, cwd=tmp_path)
    assert check.code == 0, (check.out, check.err)
    # pull after a hotfix brings the hotfix back, and still no bookkeeping
    live.execute("alter table public.accounts add column email text")
    pull = run_cli("pull", "--live", live.url, *privileges, cwd=tmp_path)
    assert pull.code == 0, (pull.out, pull.err)
    assert "email" in pull.out and "diffcheck." not in pull.out.replace("diffcheck pull", "")
    assert _mentions_bookkeeping(schema) == []
    assert run_cli("check", "--live", live.url, *privileges, cwd=tmp_path).code == 0


@pytest.mark.parametrize("privileges", [[], ["--with-privileges"]], ids=["plain", "privileges"])
def test_pull_into_hand_written_files_leaves_bookkeeping_out(run_cli, live, tmp_path, privileges):
    schema = tmp_path / "schema"
    schema.mkdir()
    (schema / "app.sql").write_text(APP)
    check = run_cli("check", "--live", live.url, *privileges, cwd=tmp_path)
    assert check.code == 0, (check.out, check.err)
    live.execute("create table public.desks (id int primary key)")
    pull = run_cli("pull", "--live", live.url, *privileges, cwd=tmp_path)
    assert pull.code == 0, (pull.out, pull.err)
    assert "desks" in (schema / "app.sql").read_text()
    assert _mentions_bookkeeping(schema) == []


@pytest.mark.parametrize("privileges", [[], ["--with-privileges"]], ids=["plain", "privileges"])
def test_check_ignores_bookkeeping_on_either_side(run_cli, live, make_db, tmp_path, privileges):
    """A desired schema without the diffcheck schema matches a live that has it, and a live
    without it matches a desired database that has it (diff between two databases)."""
    schema = tmp_path / "schema"
    schema.mkdir()
    (schema / "app.sql").write_text(APP)
    check = run_cli("check", "--live", live.url, *privileges, cwd=tmp_path)
    assert check.code == 0 and "diffcheck" not in check.out.replace("in sync", ""), check.out
    bare = make_db(APP)
    for a, b in ((live.url, bare.url), (bare.url, live.url)):
        run = run_cli("diff", a, b, *privileges, cwd=tmp_path)
        assert run.code == 0, (run.out, run.err)
