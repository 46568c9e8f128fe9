"""SIGINT and SIGTERM end every command within a second, cleanly.

Python runs a signal handler only between bytecodes of the main thread. While that thread
waits inside libpq for a query (a lock wait, a long statement) the handler waits with it:
measured with psycopg2 2.9, a SIGTERM sent during ``select pg_sleep(4)`` was handled after
four seconds. So the C-level handler also writes the signal's number to a pipe
(``signal.set_wakeup_fd``), and a watchdog thread reading that pipe cancels every server
query diffcheck has running and terminates every client tool it started
(:func:`diffcheck.pg.stop_all`) at once. The waiting query then returns with an error, the
handler runs and raises :class:`Interrupted` in the main thread, and every ``finally`` on
the way out (scratch drops, rollbacks, closes) runs. Worker threads get :class:`Interrupted`
from their next query or connection (see :func:`check`), so none starts new work.

A watchdog was chosen over psycopg2's ``wait_select`` callback: the callback turns every
query into a poll loop in Python, and it cancels on KeyboardInterrupt only."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_STOP_WATCHDOG = b"\0"  # no signal has number 0

_lock = threading.RLock()  # re-entrant: a second signal may interrupt the handler itself
_received: int | None = None  # the first signal of this command
_raised = False  # Interrupted is raised in the main thread once, never again
_deferred = 0  # depth of critical() blocks in the main thread
_pending = False  # a signal arrived inside a critical() block
_committed: str | None = None  # what an apply committed before the signal


class Interrupted(BaseException):
    """The command was interrupted by SIGINT or SIGTERM.

    A BaseException, like KeyboardInterrupt: no ``except Exception`` or ``except
    psycopg2.Error`` on the way out may swallow it and carry on."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def received() -> int | None:
    """The signal this command received, if any."""
    return _received


def check(any_thread: bool = False) -> None:
    """Raise :class:`Interrupted` once a signal has arrived: in worker threads always (the
    handler raises in the main thread only), in the main thread too with ``any_thread``."""
    signum = _received
    if signum is None:
        return
    if any_thread or threading.current_thread() is not threading.main_thread():
        raise Interrupted(signum)


def _stop(signum: int) -> None:
    """The first signal cancels every query and child; later ones only note themselves.

    Held under the lock while cancelling, so the main thread, arriving here from its
    handler, opens its cleanup connections only after the cancel: they are never hit."""
    global _received
    with _lock:
        if _received is not None:
            return
        _received = signum
        from . import pg  # pg checks this module on every query; imported late, not cyclic

        pg.stop_all()


def _handler(signum: int, _frame: FrameType | None) -> None:
    global _raised, _pending
    _stop(signum)
    if _raised:
        return  # the command is already on its way out; let the cleanup finish
    if _deferred:
        _pending = True
        return
    _raised = True
    raise Interrupted(signum)


def disarm() -> int | None:
    """Stop raising (the caller is reporting the interruption); returns the signal."""
    global _raised
    _raised = True
    return _received


@contextmanager
def critical() -> Iterator[None]:
    """Signals arriving inside the block are acted on when it ends: a COMMIT and the note of
    what it committed are never separated by an Interrupted (the watchdog still cancels)."""
    global _deferred, _pending, _raised
    main = threading.current_thread() is threading.main_thread()
    if main:
        _deferred += 1
    try:
        yield
    finally:
        if main:
            _deferred -= 1
            if not _deferred and _pending and not _raised and _received is not None:
                _pending = False
                _raised = True
                raise Interrupted(_received)  # replaces the block's own outcome, if any


def note_commit(what: str) -> None:
    """Record what an apply has committed, to be reported if a signal arrives later."""
    global _committed
    _committed = what


def committed() -> str | None:
    """What an apply has committed so far (see :func:`note_commit`)."""
    return _committed


def report(signum: int) -> tuple[str, int]:
    """The one line and the exit code (128 + signal) of an interrupted command."""
    name = signal.Signals(signum).name
    if _committed:
        return f"interrupted after commit ({name}): {_committed}", 128 + signum
    return f"interrupted ({name})", 128 + signum


def _watch(fd: int) -> None:
    while True:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        if not data or _STOP_WATCHDOG in data:
            return
        for signum in data:
            if signum in SIGNALS:
                _stop(signum)


@contextmanager
def installed() -> Iterator[None]:
    """Handlers and watchdog for one command; the host's handlers come back afterwards (an
    in-process call from tests or the pytest plugin). Outside the main thread, where Python
    allows no signal handlers, nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _reset()
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)  # set_wakeup_fd requires it
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    watchdog = threading.Thread(
        target=_watch, args=(read_fd,), name="diffcheck-signals", daemon=True
    )
    watchdog.start()
    old_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    try:
        for s in SIGNALS:
            signal.signal(s, _handler)
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, signal.SIG_DFL if h is None else h)  # None: set outside Python
        signal.set_wakeup_fd(old_fd)
        os.write(write_fd, _STOP_WATCHDOG)
        watchdog.join(timeout=1)
        os.close(write_fd)
        if not watchdog.is_alive():
            os.close(read_fd)
        _reset()  # an in-process host goes on using diffcheck's functions afterwards


def _reset() -> None:
    global _received, _raised, _deferred, _pending, _committed
    _received, _raised, _deferred, _pending, _committed = None, False, 0, False, None
