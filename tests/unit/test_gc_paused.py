from __future__ import annotations

import gc

import pytest

from platform_assets.domain.tree.gc_paused import gc_paused


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_back_on_after(collector_on) -> None:
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block does not turn it on under the outer one
    assert gc.isenabled()


def test_the_collector_comes_back_on_after_an_error(collector_on) -> None:
    @gc_paused()
    def fails() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fails()
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off(collector_on) -> None:
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()
