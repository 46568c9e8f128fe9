"""Cache of inspected desired schemas.

The inspection of a desired source depends only on the source's content, the server's major
version, the engine (diffcheck's code, migra and schemainspect) and the comparison filters;
keyed by a hash of those, a repeated ``check`` inspects only live and builds no scratch
database. Entries are written to a temporary file and renamed into place, so concurrent runs
never read half an entry.

An entry is data, never code. Teams share the cache directory between CI jobs, so whoever can
write a file there must not be able to run anything: entries are read with an unpickler that
resolves only the classes listed in :data:`ALLOWED` (plain data holders, built without running
their constructors), and framed by a header (magic, format, sha256 of the payload) so that a
truncated or foreign file is a clean miss. A rejected entry is a miss and one warning line."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import io
import json
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from . import engine, gcpause

log = logging.getLogger(__name__)

FORMAT = 2
MAGIC = b"diffcheck-cache\n"
_HEADER = len(MAGIC) + 2 + 32  # magic, format (2 bytes), sha256 of the payload
SUFFIX = ".pickle"


class CachedInspector(engine.si_obj.PostgreSQL):  # type: ignore[misc]
    """A stored copy of a schemainspect inspector: the same data and methods, but no
    constructor. schemainspect's PostgreSQL(c) runs catalog queries on whatever ``c`` is, so
    an entry may not name that class; entries name this one, which refuses to be called."""

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        raise TypeError("a CachedInspector is only made by copying an inspector")


# Every class a stored inspection refers to, by the exact (module, name) the pickle names.
# Found by recording the globals of real inspections of the six corpus schemas and every test
# case, plus the fact types of the same modules that only some schemas produce. Each is a
# plain data holder: NamedTuples, dataclasses and schemainspect's Inspected* classes, whose
# constructors only assign attributes and which define no __setstate__ or __reduce__ (loading
# makes them with __new__ and fills __dict__). tests/unit/test_cache.py fails when a fact
# type is added to diffcheck or schemainspect without being listed here.
ALLOWED: frozenset[tuple[str, str]] = frozenset(
    [
        ("collections", "OrderedDict"),
        ("diffcheck.cache", "CachedInspector"),
        ("diffcheck.engine", "Inspection"),
        ("diffcheck.catalog", "Aggregate"),
        ("diffcheck.catalog", "Catalog"),
        ("diffcheck.catalog", "PartIndex"),
        ("diffcheck.catalog", "Partitioning"),
        ("diffcheck.catalog", "TextSearchConfig"),
        ("diffcheck.catalog", "TextSearchDict"),
        ("diffcheck.fixups.bs_comments", "Comment"),
        ("diffcheck.fixups.bs_indexes", "Index"),
        ("diffcheck.fixups.bs_objects", "Operator"),
        ("diffcheck.fixups.bs_objects", "Rule"),
        ("diffcheck.fixups.bs_objects", "Statistics"),
        ("diffcheck.fixups.bs_relations", "Column"),
        ("diffcheck.fixups.bs_relations", "Relation"),
        ("diffcheck.fixups.bs_sequences", "Identity"),
        ("diffcheck.fixups.bs_sequences", "Seq"),
        ("diffcheck.fixups.bs_sequences", "SeqOpts"),
        ("diffcheck.fixups.privileges", "Acl"),
        ("diffcheck.fixups.privileges", "DefaultAcl"),
        ("schemainspect.inspected", "ColumnInfo"),
        ("schemainspect.pg.obj", "InspectedCollation"),
        ("schemainspect.pg.obj", "InspectedConstraint"),
        ("schemainspect.pg.obj", "InspectedDomain"),
        ("schemainspect.pg.obj", "InspectedEnum"),
        ("schemainspect.pg.obj", "InspectedExtension"),
        ("schemainspect.pg.obj", "InspectedFunction"),
        ("schemainspect.pg.obj", "InspectedIndex"),
        ("schemainspect.pg.obj", "InspectedPrivilege"),
        ("schemainspect.pg.obj", "InspectedRowPolicy"),
        ("schemainspect.pg.obj", "InspectedSchema"),
        ("schemainspect.pg.obj", "InspectedSelectable"),
        ("schemainspect.pg.obj", "InspectedSequence"),
        ("schemainspect.pg.obj", "InspectedTrigger"),
        ("schemainspect.pg.obj", "InspectedType"),
    ]
)


@functools.lru_cache(maxsize=1)
def allowed_classes() -> dict[tuple[str, str], type]:
    """The allow-list resolved to classes, once. Exact names only: pickle's own find_class
    follows dotted names (``OrderedDict.fromkeys``), which would reach beyond a class."""
    out: dict[tuple[str, str], type] = {}
    for module, name in ALLOWED:
        obj = getattr(importlib.import_module(module), name)
        if not isinstance(obj, type):  # a listed name must stay a class, never a function
            raise TypeError(f"{module}.{name} is not a class")
        out[(module, name)] = obj
    return out


class _Unpickler(pickle.Unpickler):
    """An unpickler that can build only the allowed data classes."""

    def find_class(self, module: str, name: str) -> Any:
        """The allowed class named (module, name); anything else stops the load."""
        cls = allowed_classes().get((module, name))
        if cls is None:
            raise pickle.UnpicklingError(f"refers to {module}.{name}, which a cache entry may not")
        return cls

    def persistent_load(self, pid: Any) -> Any:
        """Entries hold no persistent ids."""
        raise pickle.UnpicklingError("holds a persistent id")


class BadEntry(Exception):
    """A cache entry that is not one diffcheck wrote (truncated, foreign or tampered)."""


def encode(inspection: engine.Inspection) -> bytes:
    """An inspection as a framed entry (header, then the pickle)."""
    payload = pickle.dumps(_storable(inspection), protocol=pickle.HIGHEST_PROTOCOL)
    return MAGIC + FORMAT.to_bytes(2, "big") + hashlib.sha256(payload).digest() + payload


def decode(data: bytes) -> engine.Inspection:
    """The inspection in a framed entry; BadEntry when it is anything else."""
    if len(data) < _HEADER or not data.startswith(MAGIC):
        raise BadEntry("not a diffcheck cache entry")
    fmt = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 2], "big")
    if fmt != FORMAT:
        raise BadEntry(f"format {fmt}, expected {FORMAT}")
    view = memoryview(data)[_HEADER:]
    if hashlib.sha256(view).digest() != data[_HEADER - 32 : _HEADER]:
        raise BadEntry("checksum mismatch (truncated or modified)")
    try:
        with gcpause.paused():
            obj = _Unpickler(io.BytesIO(view)).load()
    except Exception as exc:  # any failure to decode is the same verdict: not ours
        raise BadEntry(f"{exc}") from None
    if not isinstance(obj, engine.Inspection) or not isinstance(obj.inspector, CachedInspector):
        raise BadEntry(f"holds a {type(obj).__name__}, not an inspection")
    return obj


def _storable(inspection: engine.Inspection) -> engine.Inspection:
    """A shallow copy whose inspector is a CachedInspector without the live cursor (it
    cannot, and must not, be pickled); the caller's inspection is left untouched."""
    inspector: Any = inspection.inspector
    copy = CachedInspector.__new__(CachedInspector)
    copy.__dict__.update(vars(inspector))
    copy.c = None
    copy.engine = None
    # Raw dependency rows are psycopg2 named tuples (only used while loading); plain dicts.
    copy.deps = [r._asdict() if hasattr(r, "_asdict") else r for r in getattr(copy, "deps", [])]
    return dataclasses.replace(inspection, inspector=copy)


def cache_dir(configured: str | None, project_dir: str) -> Path:
    """``cache_dir`` setting, else $XDG_CACHE_HOME/diffcheck, else ~/.cache/diffcheck."""
    if configured:
        return Path(project_dir, configured) if not os.path.isabs(configured) else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "diffcheck"


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of diffcheck's own source files.

    The version number alone would let a checkout whose inspection code changed (a
    development install, a patched deployment) reuse entries that the old code wrote, and
    compare against an inspection it would no longer make. About 4 ms, once per process."""
    return tree_digest(Path(__file__).parent)


def tree_digest(root: Path) -> str:
    """sha256 over the relative paths and contents of every ``*.py`` file under ``root``."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def key(content_key: str, major: int, filters: engine.Filters, privileges: bool) -> str:
    """The cache key of a desired inspection."""
    from .fixups import blindspots

    parts = {
        "format": FORMAT,
        "facts": getattr(blindspots, "FACTS_VERSION", 0),
        "content": content_key,
        "major": major,
        "versions": engine.versions(),
        "code": code_digest(),
        "filters": [filters.include_schemas, filters.exclude_schemas, filters.exclude],
        "privileges": privileges,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def entry_path(directory: Path, k: str) -> Path:
    """Where the entry of key ``k`` lives."""
    return directory / f"{k}{SUFFIX}"


def load(directory: Path, k: str) -> engine.Inspection | None:
    """A cached inspection, or None. A missing entry is a silent miss; an unreadable,
    truncated, foreign or tampered one is a miss with one warning."""
    path = entry_path(directory, k)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("ignoring cache entry %s: %s", path, exc.strerror or exc)
        return None
    try:
        inspection = decode(data)
    except BadEntry as exc:
        log.warning("ignoring cache entry %s: %s", path, exc)
        return None
    try:
        os.utime(path)  # mark as recently used, for pruning
    except OSError:
        pass
    return inspection


def store(directory: Path, k: str, inspection: engine.Inspection) -> None:
    """Store an inspection atomically; failures only log (the cache is an optimization)."""
    try:
        data = encode(inspection)
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, entry_path(directory, k))
        prune(directory)
    except Exception as exc:
        log.warning("could not write cache entry: %s", exc)


MAX_ENTRIES = 64


def prune(directory: Path, keep: int = MAX_ENTRIES) -> None:
    """Keep the ``keep`` most recently used entries; a cache must not grow without bound."""
    entries = sorted(directory.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        try:
            old.unlink()
        except OSError:  # another run pruned it first
            pass
