"""Soak: calls coming and going against a real server leave its memory and fds flat.

A real ``convonet serve`` subprocess (network-style STT/TTS fakes, real Silero VAD, real-time
audio) takes waves of simultaneous calls; after each wave, with no call live, its RSS and open
file descriptors are sampled. The short form runs by default; the 2-minute form is ``slow``;
the 30-minute one is ``convonet bench soak``.
"""

import pytest

from convonet.bench.soak import FLAT_PCT, soak
from convonet.storage.seed import DEMO_PIN

pytestmark = pytest.mark.integration
SERVER = {"TOOLS_ENABLED": "false"}


async def _soak_is_flat(duration_secs: float, calls: int, warmup: int) -> None:
    result = await soak(duration_secs, calls, warmup, DEMO_PIN, SERVER, min_waves=warmup + 2)
    verdict = result["verdict"]
    assert result["failed_calls"] == 0, result["errors"]
    assert len(result["samples"]) > warmup + 1, result["samples"]
    assert verdict["dangling_task_warnings"] == 0
    assert verdict["rss_growth_pct"] <= FLAT_PCT, result["samples"]
    assert verdict["fd_growth_pct"] <= FLAT_PCT, result["samples"]
    # The calls really came and went: each wave's calls ran and the server was idle after.
    assert result["calls"] == calls * len(result["samples"])


async def test_short_soak_is_flat() -> None:
    await _soak_is_flat(duration_secs=30, calls=4, warmup=2)


@pytest.mark.slow
async def test_two_minute_soak_is_flat() -> None:
    await _soak_is_flat(duration_secs=120, calls=6, warmup=2)
