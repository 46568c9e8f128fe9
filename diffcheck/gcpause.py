"""Python's cyclic garbage collector paused while diffcheck builds large object graphs.

An inspection of 5,000 tables creates a few million objects (schemainspect's objects, rows,
facts), and so does loading a cached one. The collector runs every 700 allocations and
its full passes walk every live object, so building the graph costs time that grows with
the graph: unpickling a cached 5,000-table inspection took 2.6 s with the collector on and
1.1 s with it paused. Nothing built in these phases is garbage that only the cyclic
collector can free (reference counting frees the temporaries), so pausing it loses nothing.

The pause is process-wide (``gc.disable``), so it is counted: inspections of several
databases run in threads at once (a pair, a fleet), and the collector comes back only when
the last of them ends, and only if it was on before the first began.

When it comes back, its first pass would walk every object built during the pause (0.4 s
at 5,000 tables). A process that owns its interpreter (the ``diffcheck`` command, not a
host such as pytest) calls :func:`freeze_on_resume`: the objects built are then moved out
of the collector's sight (``gc.freeze``) instead; they live until the command ends, and
reference counting still frees whatever is dropped."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False
_freeze = False


def freeze_on_resume(enabled: bool = True) -> None:
    """Freeze what a pause built when it ends (for processes that own the interpreter)."""
    global _freeze
    _freeze = enabled


@contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector off for the body (nested and concurrent uses counted)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                if _freeze:
                    gc.freeze()
                gc.enable()
