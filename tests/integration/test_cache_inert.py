"""The desired-inspection cache is data, never code, on a real server: a planted entry that
would run a shell command is a miss (nothing runs, the answer is right, one warning line);
truncated and random entries likewise; and real inspections name only allowed classes."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS

from diffcheck import cache, engine, pg

SCHEMA = "create table public.t (id int primary key, v text);\n"


class _System:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> Any:
        return (os.system, (self.command,))


def _hostile(marker: Path, framed: bool) -> bytes:
    inspection = engine.Inspection(inspector=_System(f"touch {marker}"), major=15, label="x")
    payload = pickle.dumps(inspection, protocol=pickle.HIGHEST_PROTOCOL)
    if not framed:
        return payload
    # A valid header: whoever can write the file can compute the checksum too.
    head = cache.MAGIC + cache.FORMAT.to_bytes(2, "big") + hashlib.sha256(payload).digest()
    return head + payload


def _warnings(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.startswith("warning: ignoring cache entry ")]


def _setup(run_cli, make_db, tmp_path, live_sql: str) -> tuple[list[str], dict[str, str], Path]:
    cache_dir = tmp_path / "shared-cache"
    env = {"DIFFCHECK_CACHE_DIR": str(cache_dir)}
    live = make_db(live_sql)
    desired = tmp_path / "schema"
    desired.mkdir()
    (desired / "t.sql").write_text(SCHEMA)
    args = ["check", "--live", live.url, "--desired", str(desired)]
    first = run_cli(*args, env=env)
    assert first.code in (0, 2) and not first.err.count("warning:"), first.err
    (entry,) = cache_dir.glob("*.pickle")
    return args, env, entry


@pytest.mark.parametrize("framed", [True, False], ids=["framed", "bare-pickle"])
@pytest.mark.parametrize(
    ("live_sql", "expected"),
    [(SCHEMA, 0), ("create table public.t (id int primary key);", 2)],
    ids=["in-sync", "differs"],
)
def test_planted_entry_runs_nothing_and_the_check_is_right(
    run_cli, make_db, tmp_path, builds, live_sql, expected, framed
):
    args, env, entry = _setup(run_cli, make_db, tmp_path, live_sql)
    marker = tmp_path / "pwned"
    entry.write_bytes(_hostile(marker, framed))  # under the exact key the next check reads

    run = run_cli(*args, env=env)
    assert not marker.exists(), "a cache entry ran a shell command"
    assert run.code == expected, (run.out, run.err)
    assert run.out.startswith("in sync: ") == (expected == 0), run.out
    (warning,) = _warnings(run.err)
    assert str(entry) in warning, run.err
    assert "internal error" not in run.err
    # The miss rebuilt the desired side and replaced the entry: the next check is a hit.
    built = len(builds)
    again = run_cli(*args, env=env)
    assert again.code == expected and not _warnings(again.err), again.err
    assert len(builds) == built, "a warm check built a scratch database"
    assert not marker.exists()


@pytest.mark.parametrize(
    "content",
    [lambda b: b[: len(b) // 2], lambda b: os.urandom(len(b)), lambda b: b""],
    ids=["truncated", "random-bytes", "empty"],
)
def test_truncated_or_random_entry_is_a_miss_with_one_warning(run_cli, make_db, tmp_path, content):
    args, env, entry = _setup(run_cli, make_db, tmp_path, SCHEMA)
    entry.write_bytes(content(entry.read_bytes()))
    run = run_cli(*args, env=env)
    assert run.code == 0 and run.out.startswith("in sync: "), (run.out, run.err)
    assert len(_warnings(run.err)) == 1, run.err
    assert len(run.err.strip().splitlines()) == 1, run.err  # the warning is the only line


# Object kinds no corpus schema has, besides what pagila has: each becomes a fact type that a
# cached inspection must be able to hold.
EXTRA_KINDS = """
create schema extra;
create table extra.p (id int generated always as identity, k int, v text, primary key (id, k))
    partition by range (k);
create table extra.p1 partition of extra.p for values from (0) to (10);
create index on extra.p (v);
create rule r_noop as on update to extra.p1 do also notify extra_p1;
create statistics extra.st (dependencies) on id, k from extra.p1;
create text search dictionary extra.simple_d (template = pg_catalog.simple);
create text search configuration extra.cfg (copy = pg_catalog.simple);
create collation extra.c_posix (locale = 'POSIX');
create domain extra.pos as int check (value > 0);
create type extra.pair as (a int, b text);
create type extra.mood as enum ('sad', 'ok');
create function extra.f(int) returns int language sql immutable as 'select $1';
create aggregate extra.s(int) (sfunc = int4pl, stype = int);
create operator extra.=== (leftarg = int, rightarg = int, function = int4eq);
create table extra.rls (id int);
alter table extra.rls enable row level security;
create policy pol on extra.rls using (id > 0);
alter default privileges in schema extra grant select on tables to public;
grant select on extra.rls to public;
comment on table extra.rls is 'kept';
create sequence extra.seq maxvalue 99;
create view extra.v as select id from extra.rls;
create materialized view extra.mv as select id from extra.rls;
create function extra.trg() returns trigger language plpgsql as 'begin return new; end';
create trigger t before insert on extra.rls for each row execute function extra.trg();
"""


def test_real_inspections_name_only_allowed_classes(make_db):
    """Every class a stored inspection of a rich schema refers to is on the allow-list, and the
    loaded inspection diffs empty against the one inspected."""
    db = make_db(EXTRA_KINDS)
    db.execute((CORPUS / "pagila.sql").read_text())
    with pg.connection(db.url, autocommit=True) as conn:
        inspected = engine.inspect(conn, "rich", engine.Filters())
    data = cache.encode(inspected)
    names: set[tuple[str, str]] = set()

    class Recorder(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            names.add((module, name))
            return super().find_class(module, name)

    Recorder(io.BytesIO(data[cache._HEADER :])).load()
    assert names - cache.ALLOWED == set()
    for kind in [("diffcheck.fixups.bs_objects", "Rule"), ("diffcheck.catalog", "TextSearchDict"),
                 ("diffcheck.fixups.bs_objects", "Statistics"),
                 ("diffcheck.fixups.privileges", "DefaultAcl"),
                 ("schemainspect.pg.obj", "InspectedRowPolicy")]:  # fmt: skip
        assert kind in names, f"the schema no longer exercises {kind}"
    loaded = cache.decode(data)
    assert engine.raw_diff(inspected, loaded, privileges=True) == []
    assert engine.raw_diff(loaded, inspected, privileges=True) == []
