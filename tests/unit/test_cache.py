"""The desired-inspection cache without a server: what its key depends on, and how entries are
written, read, replaced and pruned (concurrently too)."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from diffcheck import cache, engine

FILTERS = engine.Filters()


def _key(**change: object) -> str:
    args: dict[str, object] = {
        "content_key": "c1", "major": 15, "filters": FILTERS, "privileges": False,
    }  # fmt: skip
    args.update(change)
    return cache.key(**args)  # type: ignore[arg-type]


def test_same_inputs_same_key():
    assert _key() == _key()


@pytest.mark.parametrize(
    "change",
    [
        {"content_key": "c2"},
        {"major": 16},
        {"filters": engine.Filters(exclude_schemas=("audit",))},
        {"filters": engine.Filters(exclude=("public.tmp_*",))},
        {"privileges": True},
    ],
    ids=["content", "server-major", "excluded-schema", "exclude-glob", "privileges"],
)
def test_each_input_changes_the_key(change):
    assert _key(**change) != _key()


@pytest.mark.parametrize("package", ["diffcheck", "migra", "schemainspect"])
def test_a_different_engine_version_misses(monkeypatch, package):
    before = _key()
    versions = dict(engine.versions())
    versions[package] = versions[package] + ".post1"
    monkeypatch.setattr(engine, "versions", lambda: versions)
    assert _key() != before


def test_versions_name_the_whole_engine():
    v = engine.versions()
    assert set(v) == {"diffcheck", "migra", "schemainspect"}
    assert all(v.values()) and "unknown" not in v.values(), v


def test_a_change_to_diffcheck_code_misses(monkeypatch, tmp_path):
    """Same version number, edited code (a development install): a different key."""
    before = _key()
    monkeypatch.setattr(cache, "code_digest", lambda: "0" * 64)
    assert _key() != before


def test_tree_digest_follows_contents_and_names(tmp_path):
    src = Path(cache.__file__).parent
    copy = tmp_path / "pkg"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert cache.tree_digest(copy) == cache.tree_digest(src) == cache.code_digest()
    target = copy / "engine.py"
    target.write_text(target.read_text() + "\n# edited\n")
    edited = cache.tree_digest(copy)
    assert edited != cache.code_digest()
    target.rename(copy / "engine2.py")
    assert cache.tree_digest(copy) not in (edited, cache.code_digest())


def _inspection(label: str, size: int = 1000) -> engine.Inspection:
    inspector = SimpleNamespace(c=object(), engine=None, deps=[], payload=label * size)
    return engine.Inspection(inspector=inspector, major=15, label=label)


def test_store_then_load_round_trips_and_keeps_the_live_cursor(tmp_path):
    insp = _inspection("a")
    cursor = insp.inspector.c
    cache.store(tmp_path, "k", insp)
    assert insp.inspector.c is cursor  # restored after pickling without it
    got = cache.load(tmp_path, "k")
    assert got is not None and got.label == "a" and got.inspector.c is None
    assert got.inspector.payload == "a" * 1000
    assert [p.name for p in tmp_path.iterdir()] == ["k.pickle"]  # no temporary file left


@pytest.mark.parametrize(
    "content", [b"", b"not a pickle", pickle.dumps({"an": "other object"})],
    ids=["empty", "garbage", "foreign"],
)
def test_unreadable_or_foreign_entries_are_misses(tmp_path, content):
    (tmp_path / "k.pickle").write_bytes(content)
    assert cache.load(tmp_path, "k") is None
    assert cache.load(tmp_path, "missing") is None


def test_unwritable_directory_only_loses_the_entry(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the directory should be")
    cache.store(blocker / "sub", "k", _inspection("a"))  # logs, does not raise
    assert cache.load(blocker / "sub", "k") is None


def test_prune_keeps_the_most_recently_used(tmp_path):
    for i in range(6):
        path = tmp_path / f"e{i}.pickle"
        path.write_bytes(b"x")
        os.utime(path, (time.time() - 100 + i, time.time() - 100 + i))
    cache.prune(tmp_path, keep=3)
    kept = sorted(p.name for p in tmp_path.glob("*.pickle"))
    assert kept == ["e3.pickle", "e4.pickle", "e5.pickle"]


def _writer(directory: str, label: str, rounds: int) -> int:
    complete = 0
    for _ in range(rounds):
        # 256 kB: pickle writes it in several chunks, so a reader of a file being written in
        # place would see a truncated entry (a miss, or an EOF error).
        cache.store(Path(directory), "shared", _inspection(label, 256_000))
        got = cache.load(Path(directory), "shared")
        # Another writer may have replaced it, but never with half an entry.
        assert got is not None and got.inspector.payload == got.label * 256_000
        complete += 1
    return complete


def test_concurrent_writers_and_readers_never_see_half_an_entry(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        done = pool.starmap(_writer, [(str(tmp_path), label, 25) for label in "abcd"])
    assert done == [25] * 4
    assert [p.name for p in tmp_path.iterdir()] == ["shared.pickle"]
