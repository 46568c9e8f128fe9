"""Real-world schemas from the corpus, applied to an empty database.

This is the ordering test at scale: bare migra fails most of these because it creates types
and functions after the indexes, defaults and columns that use them. ``plan`` must be
VERIFIED, ``apply --auto`` must succeed, and live must then dump (as a statement set, column
order ignored) exactly like a database built from the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from casesupport import dump_statements
from conftest import CORPUS, DB, Run

# Every corpus schema must apply from empty (session 2: all six pass on PG15).
SCHEMAS = [
    pytest.param("pagila", id="pagila"),
    pytest.param("openstreetmap", id="openstreetmap"),
    pytest.param("danbooru", id="danbooru"),
    pytest.param("lago", id="lago"),
    pytest.param("musicbrainz", id="musicbrainz", marks=pytest.mark.slow),
    pytest.param("chado", id="chado", marks=pytest.mark.slow),
]


# musicbrainz needs a superuser to build (a C-language function, an untrusted extension
# inside a transaction): it is built unconfined, as trusted schema SQL (docs/safety.md).
SUPERUSER_SCHEMAS = {"musicbrainz"}


@pytest.mark.parametrize("name", SCHEMAS)
def test_from_empty(
    name: str, make_db: Callable[..., DB], run_cli: Callable[..., Run], tmp_path: Path
) -> None:
    source = CORPUS / f"{name}.sql"
    if not source.exists():
        pytest.skip(f"corpus file {source} is not available")
    live = make_db()
    env = {"DIFFCHECK_TRUST_SCHEMA_SQL": "1"} if name in SUPERUSER_SCHEMAS else None
    plan = run_cli(
        "plan", "--live", live.url, "--desired", str(source), "-o", str(tmp_path / "p.sql"),
        env=env,
    )
    assert plan.code == 0, f"plan exit {plan.code} (3 = UNVERIFIED): {plan.err}{plan.out[-2000:]}"

    run = run_cli(
        "apply", "--auto", "--live", live.url, "--desired", str(source), "--allow-hazard", "all",
        env=env,
    )
    assert run.code == 0, f"apply --auto exit {run.code}: {run.err}"

    want = make_db(path=source)
    got_dump, want_dump = dump_statements(live.url), dump_statements(want.url)
    missing = sorted(set(want_dump) - set(got_dump))
    extra = sorted(set(got_dump) - set(want_dump))
    assert got_dump == want_dump, f"dump differs: missing {missing[:20]} extra {extra[:20]}"
