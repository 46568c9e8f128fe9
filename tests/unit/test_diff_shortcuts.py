"""Faster paths of the differ must give what the slow ones gave: migra's ``differences``
comparing each pair once, and removed objects' dependents looked up by name."""

from __future__ import annotations

import random
from collections import OrderedDict
from typing import Any

import migra.changes
import migra.util

from diffcheck import engine
from diffcheck.catalog import Catalog, Key
from diffcheck.fixups import ordering


class Counted:
    """An object whose equality is counted (migra's objects compare all their parts)."""

    calls = 0

    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        Counted.calls += 1
        return isinstance(other, Counted) and self.value == other.value

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]


def _stock_differences(a: Any, b: Any) -> tuple[Any, ...]:
    """migra.util.differences as released (compares each common pair twice)."""
    common = sorted(set(a) & set(b))
    return (
        OrderedDict((k, b[k]) for k in sorted(set(b) - set(a))),
        OrderedDict((k, a[k]) for k in sorted(set(a) - set(b))),
        OrderedDict((k, b[k]) for k in common if a[k] != b[k]),
        OrderedDict((k, b[k]) for k in common if a[k] == b[k]),
    )


def test_migra_uses_the_patched_differences() -> None:
    assert migra.util.differences is engine._differences
    assert migra.changes.differences is engine._differences


def test_differences_equal_migras_and_compare_once() -> None:
    rng = random.Random(7)
    a = {f"k{i}": Counted(rng.randint(0, 3)) for i in range(0, 300)}
    b = {f"k{i}": Counted(rng.randint(0, 3)) for i in range(100, 400)}
    expected = _stock_differences(a, b)
    engine._compared.memo = {}
    try:
        Counted.calls = 0
        first = engine._differences(a, b)
        assert Counted.calls == 200  # one comparison per common key, not two
        again = engine._differences(a, b)
        assert Counted.calls == 200  # the same pairs again within one diff: remembered
    finally:
        engine._compared.memo = None
    outside = engine._differences(a, b)  # no diff running: compared, not remembered
    assert Counted.calls == 400
    for got in (first, again, outside):
        assert [list(x.items()) for x in got] == [list(x.items()) for x in expected]
        assert all(type(x) is OrderedDict for x in got)


def _brute_dependents(cat: Catalog, key: Key) -> set[Key]:
    """ordering._dependents as it was: every catalog key tested with _covers."""
    index, parts = cat.dependents_index(), cat.parts_index()
    owners = {ref for ref in index.keys() | parts.keys() if ordering._covers(key, ref)}
    for owner in list(owners):
        owners |= parts.get(owner, set())
    out: set[Key] = set()
    for ref in owners:
        out |= index.get(ref, set())
    return out


def test_dependents_by_name_equal_a_scan_of_every_key() -> None:
    rng = random.Random(11)
    schemas: list[str | None] = ["app", "ref", None]
    tables = [f"t{i}" for i in range(12)]
    kinds = ["rel", "column", "default", "constraint", "trigger", "function", "type"]

    def key() -> Key:
        kind = rng.choice(kinds)
        on_table = kind in ("column", "default", "constraint", "trigger")
        names = ["c1", "c2", "id"] if on_table else [*tables, "c1", "c2", "f"]
        name = rng.choice(names)
        return (kind, rng.choice(schemas), rng.choice(tables) if on_table else None, name)

    cat = Catalog()
    cat.depends = [(key(), key(), rng.choice("naie")) for _ in range(3000)]
    probes = {ref for _, ref, _ in cat.depends} | {key() for _ in range(500)}
    probes |= {("rel", s, None, t) for s in schemas for t in tables}
    probes |= {("column", s, t, c) for s in schemas for t in tables for c in ("c1", "id")}
    nonempty = 0
    for probe in sorted(probes, key=repr):
        expected = _brute_dependents(cat, probe)
        assert ordering._dependents(cat, probe) == expected, probe
        assert ordering._dependents(cat, probe) == expected, probe  # memoized
        nonempty += bool(expected)
    assert nonempty > 100


def test_remembered_pairs_are_not_confused_with_new_objects() -> None:
    """Objects made and dropped during a diff: a remembered pair keeps its objects alive,
    so a new object never takes the id of a compared one and inherits its answer."""
    engine._compared.memo = {}
    try:
        for i in range(200):
            same = i % 2 == 0
            a, b = {"k": Counted(i)}, {"k": Counted(i if same else -1)}
            _, _, modified, unmodified = engine._differences(a, b)
            assert (list(unmodified), list(modified)) == ((["k"], []) if same else ([], ["k"]))
    finally:
        engine._compared.memo = None
