"""The desired-inspection cache without a server: what its key depends on, and how entries are
written, read, replaced and pruned (concurrently too)."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import logging
import multiprocessing
import os
import pickle
import pkgutil
import shutil
import time
from collections import OrderedDict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

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


# --- entries are data, never code -------------------------------------------------------------


def _framed(payload: bytes, fmt: int = cache.FORMAT) -> bytes:
    """An entry with a valid header around ``payload``: what a tamperer can always write."""
    return cache.MAGIC + fmt.to_bytes(2, "big") + hashlib.sha256(payload).digest() + payload


class _System:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (os.system, (f"touch {self.marker}",))


def _entry_calling_os_system(marker: Path) -> bytes:
    inspection = engine.Inspection(inspector=_System(marker), major=15, label="x")
    return pickle.dumps(inspection, protocol=pickle.HIGHEST_PROTOCOL)


@pytest.mark.parametrize("framed", [True, False], ids=["framed", "bare-pickle"])
def test_an_entry_that_runs_code_is_a_miss_and_runs_nothing(tmp_path, caplog, framed):
    marker = tmp_path / "pwned"
    payload = _entry_calling_os_system(marker)
    assert b"system" in payload  # the payload really names os.system
    (tmp_path / "k.pickle").write_bytes(_framed(payload) if framed else payload)
    with caplog.at_level(logging.WARNING, logger="diffcheck"):
        assert cache.load(tmp_path, "k") is None
    assert not marker.exists()
    (record,) = caplog.records
    assert record.getMessage().startswith(f"ignoring cache entry {tmp_path / 'k.pickle'}: ")
    if framed:
        assert "posix.system" in record.getMessage() or "os.system" in record.getMessage()


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("builtins", "eval"),
        ("builtins", "getattr"),
        ("copyreg", "_reconstructor"),
        ("schemainspect.pg.obj", "PostgreSQL"),  # its constructor runs queries
        ("collections", "OrderedDict.fromkeys"),  # a dotted name reaches past a class
        ("types", "SimpleNamespace"),
    ],
)
def test_only_listed_classes_resolve(module, name):
    payload = (
        b"\x80\x05\x8c" + bytes([len(module)]) + module.encode()
        + b"\x8c" + bytes([len(name)]) + name.encode() + b"\x93)R."
    )  # fmt: skip  # PROTO 5, SHORT_BINUNICODE x2, STACK_GLOBAL, EMPTY_TUPLE, REDUCE, STOP
    with pytest.raises(cache.BadEntry, match=f"{module}.{name}"):
        cache.decode(_framed(payload))


def test_a_cached_inspector_cannot_be_constructed_by_an_entry():
    payload = (
        b"\x80\x05\x8c\x0fdiffcheck.cache\x8c\x0fCachedInspector\x93)R."
    )  # REDUCE calls the class: refused, where loading only ever uses __new__
    with pytest.raises(cache.BadEntry, match="only made by copying"):
        cache.decode(_framed(payload))


def _valid_entry() -> bytes:
    return cache.encode(_inspection("a"))


@pytest.mark.parametrize(
    ("mangle", "why"),
    [
        (lambda b: b[: len(b) // 2], "checksum mismatch"),
        (lambda b: b[:20], "not a diffcheck cache entry"),
        (lambda b: b[:-1] + bytes([b[-1] ^ 1]), "checksum mismatch"),
        (lambda b: os.urandom(4096), "not a diffcheck cache entry"),
        (lambda b: _framed(b[cache._HEADER :], cache.FORMAT + 1), "format"),
        (lambda b: _framed(pickle.dumps({"an": "other object"})), "holds a dict"),
        (lambda b: _framed(b"\x80\x05garbage"), ""),
    ],
    ids=["truncated", "header-only", "flipped-bit", "random", "other-format", "foreign", "junk"],
)
def test_truncated_foreign_or_tampered_entries_are_misses_with_one_warning(
    tmp_path, caplog, mangle, why
):
    (tmp_path / "k.pickle").write_bytes(mangle(_valid_entry()))
    with caplog.at_level(logging.WARNING, logger="diffcheck"):
        assert cache.load(tmp_path, "k") is None
    (record,) = caplog.records
    assert record.getMessage().startswith("ignoring cache entry ") and why in record.getMessage()
    assert "\n" not in record.getMessage()


def test_a_missing_entry_is_a_silent_miss(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="diffcheck"):
        assert cache.load(tmp_path, "absent") is None
    assert not caplog.records


def test_entries_name_only_allowed_classes(tmp_path):
    """What store writes for an inspection refers to nothing outside the allow-list."""
    names: set[tuple[str, str]] = set()

    class Recorder(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            names.add((module, name))
            return super().find_class(module, name)

    facts = {"x": OrderedDict(a=1)}
    insp = _inspection("a")
    insp.inspector.diffcheck_facts = facts
    data = cache.encode(insp)
    import io

    Recorder(io.BytesIO(data[cache._HEADER :])).load()
    assert names <= cache.ALLOWED
    assert ("diffcheck.cache", "CachedInspector") in names


# Classes diffcheck defines that never reach a stored inspection (consumed while inspecting).
NOT_STORED = {("diffcheck.catalog", "Inherited")}


def _fact_classes() -> set[tuple[str, str]]:
    """Every NamedTuple of diffcheck.fixups, every dataclass of diffcheck.catalog, and every
    Inspected* class of schemainspect: the types an inspection is made of."""
    import diffcheck.fixups
    from diffcheck import catalog

    out: set[tuple[str, str]] = set()
    modules = [catalog] + [
        importlib.import_module(f"diffcheck.fixups.{m.name}")
        for m in pkgutil.iter_modules(diffcheck.fixups.__path__)
    ]
    for module in modules:
        for name, obj in vars(module).items():
            if not inspect.isclass(obj) or obj.__module__ != module.__name__:
                continue
            is_namedtuple = issubclass(obj, tuple) and hasattr(obj, "_fields")
            if is_namedtuple or dataclasses.is_dataclass(obj):
                out.add((module.__name__, name))
    si = importlib.import_module("schemainspect.pg.obj")
    for name, obj in vars(si).items():
        if inspect.isclass(obj) and name.startswith("Inspected") and obj.__module__ == si.__name__:
            out.add((si.__name__, name))
    out.add(("schemainspect.inspected", "ColumnInfo"))
    return out - NOT_STORED - {("diffcheck.fixups.ordering", "Stmt")}


def test_every_fact_type_is_allowed():
    """A new fact type (a NamedTuple in fixups, a dataclass in catalog, a schemainspect class)
    must be added to cache.ALLOWED, or every entry holding one would be a miss."""
    missing = _fact_classes() - cache.ALLOWED
    assert not missing, f"add to cache.ALLOWED (after checking they are plain data): {missing}"


def test_allowed_classes_are_plain_data():
    """No listed class may run code on load: no __setstate__, no custom __reduce__, and a
    listed name is always a class (never a function such as os.system)."""
    for (module, name), cls in cache.allowed_classes().items():
        assert isinstance(cls, type) and cls.__name__ == name and cls.__module__ == module
        assert getattr(cls, "__setstate__", None) is None, name
        for method in ("__reduce__", "__reduce_ex__"):
            assert getattr(cls, method) in (
                getattr(object, method), getattr(tuple, method), getattr(OrderedDict, method)
            ), (name, method)
