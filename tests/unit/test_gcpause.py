"""The collector pause is counted: nested and concurrent pauses restore it once, at the end,
and only when it was on before."""

from __future__ import annotations

import gc
import threading

import pytest

from diffcheck import gcpause


@pytest.fixture(autouse=True)
def _restore_gc() -> object:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_and_restored() -> None:
    gc.enable()
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_restored_after_an_exception() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), gcpause.paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_left_off_when_it_was_off() -> None:
    gc.disable()
    with gcpause.paused():
        pass
    assert not gc.isenabled()


def test_concurrent_pauses_end_with_the_last() -> None:
    gc.enable()
    first_in, second_done, release = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def long() -> None:
        with gcpause.paused():
            first_in.set()
            release.wait(5)

    def short() -> None:
        first_in.wait(5)
        with gcpause.paused():
            pass
        seen.append(gc.isenabled())  # the long pause is still running
        second_done.set()

    threads = [threading.Thread(target=long), threading.Thread(target=short)]
    for t in threads:
        t.start()
    assert second_done.wait(5)
    release.set()
    for t in threads:
        t.join(5)
    assert seen == [False]
    assert gc.isenabled()


def test_freeze_on_resume_hides_what_the_pause_built() -> None:
    gc.enable()
    gc.unfreeze()
    gcpause.freeze_on_resume()
    try:
        with gcpause.paused():
            built = [[i] for i in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(built)
    finally:
        gcpause.freeze_on_resume(False)
        gc.unfreeze()
    with gcpause.paused():
        more = [[i] for i in range(1000)]
    assert gc.get_freeze_count() == 0 and len(more) == 1000  # hosts' objects stay collectable
