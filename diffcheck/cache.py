"""Cache of inspected desired schemas.

The inspection of a desired source depends only on the source's content, the server's major
version, the engine (diffcheck's code, migra and schemainspect) and the comparison filters;
keyed by a hash of those, a repeated ``check`` inspects only live and builds no scratch
database. Entries are written to a temporary file and renamed into place, so concurrent runs
never read half an entry."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from . import engine, gcpause

log = logging.getLogger(__name__)

FORMAT = 1


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


def load(directory: Path, k: str) -> engine.Inspection | None:
    """A cached inspection, or None (missing or unreadable entries are misses)."""
    path = directory / f"{k}.pickle"
    try:
        with path.open("rb") as fh, gcpause.paused():
            obj = pickle.load(fh)
        os.utime(path)  # mark as recently used, for pruning
    except FileNotFoundError:
        return None
    except Exception as exc:  # a corrupt or foreign entry is just a miss
        log.warning("ignoring unreadable cache entry %s: %s", path, exc)
        return None
    return obj if isinstance(obj, engine.Inspection) else None


def store(directory: Path, k: str, inspection: engine.Inspection) -> None:
    """Store an inspection atomically; failures only log (the cache is an optimization)."""
    inspector: Any = inspection.inspector
    saved = (inspector.c, getattr(inspector, "engine", None), getattr(inspector, "deps", []))
    try:
        directory.mkdir(parents=True, exist_ok=True)
        inspector.c = None  # a live cursor cannot (and must not) be pickled
        # Raw dependency rows are psycopg2 named tuples (not picklable) and only used while
        # loading; keep them as plain dicts.
        inspector.deps = [r._asdict() if hasattr(r, "_asdict") else r for r in saved[2]]
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(inspection, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, directory / f"{k}.pickle")
        prune(directory)
    except Exception as exc:
        log.warning("could not write cache entry: %s", exc)
    finally:
        inspector.c, inspector.engine, inspector.deps = saved


MAX_ENTRIES = 64


def prune(directory: Path, keep: int = MAX_ENTRIES) -> None:
    """Keep the ``keep`` most recently used entries; a cache must not grow without bound."""
    entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        try:
            old.unlink()
        except OSError:  # another run pruned it first
            pass
