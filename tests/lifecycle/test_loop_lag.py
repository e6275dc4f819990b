"""The event-loop lag gauge: low on an idle loop, up when callbacks hold the loop."""

import asyncio
import time
from pathlib import Path

from convonet.lifecycle.loop_lag import LoopLag
from convonet.runtime import open_runtime
from tests.conftest import test_settings


async def test_an_idle_loop_is_barely_late() -> None:
    load = LoopLag(interval_secs=0.01)
    load.start()
    try:
        await asyncio.sleep(0.3)
    finally:
        await load.aclose()

    assert load.lag_secs < 0.01  # a quiet loop wakes a sleeper within milliseconds
    assert not load.above(0.03)


async def test_callbacks_that_hold_the_loop_raise_the_lag() -> None:
    load = LoopLag(interval_secs=0.01)
    load.start()
    try:
        for _ in range(10):
            time.sleep(0.05)  # noqa: ASYNC251 - a callback hogging the loop is the point
            await asyncio.sleep(0)
    finally:
        await load.aclose()

    assert load.above(0.02), load.lag_secs


async def test_the_runtime_samples_its_loop_while_open(tmp_path: Path) -> None:
    async with open_runtime(test_settings(tmp_path)) as runtime:
        assert runtime.loop_lag._task is not None and not runtime.loop_lag._task.done()
        task = runtime.loop_lag._task
    assert task.done()
