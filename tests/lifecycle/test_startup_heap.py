"""The start-up heap leaves the garbage collector's full passes once the server is ready."""

import asyncio
import gc
import weakref
from pathlib import Path

import pytest

from convonet.lifecycle.startup_heap import freeze_startup_heap
from convonet.server import create_app
from tests.conftest import test_settings


class _Node:
    """A container the collector tracks (and can hold in a reference cycle)."""

    other: "_Node | None" = None


def test_garbage_is_collected_first_and_the_live_heap_is_frozen() -> None:
    live, cycle = _Node(), _Node()
    cycle.other = cycle  # unreachable garbage once dropped: only the collector frees it
    gone = weakref.ref(cycle)
    del cycle
    frozen = freeze_startup_heap()
    assert gone() is None  # freezing kept no garbage
    assert frozen > 0 and gc.get_freeze_count() > 0  # (other tests' threads may free some)
    # Frozen objects are in no generation, so no collection walks them.
    assert not any(obj is live for obj in gc.get_objects())
    gc.unfreeze()
    assert any(obj is live for obj in gc.get_objects())


@pytest.mark.parametrize("enabled", [True, False])
async def test_the_server_freezes_its_heap_once_ready_unless_told_not_to(
    tmp_path: Path, enabled: bool
) -> None:
    gc.unfreeze()
    settings = test_settings(tmp_path, tools_enabled=False, gc_freeze_at_start=enabled)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        await runtime.ensure_ready()
        await runtime.agents.warm_up()  # the start-up's last step; freezing follows it
        # Enabled: the freeze comes within 5 s; disabled: none in 0.5 s, far longer than
        # the freeze takes after the warm-up.
        for _ in range(100 if enabled else 10):
            if gc.get_freeze_count():
                break
            await asyncio.sleep(0.05)
        assert (gc.get_freeze_count() > 0) is enabled
