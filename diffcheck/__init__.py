"""diffcheck: declarative schema management for PostgreSQL."""

from ._preload import preload as _preload

__version__ = "0.1.0"

# Before anything imports migra (see diffcheck._preload).
_preload()
