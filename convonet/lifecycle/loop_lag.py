"""How late this process's event loop runs what is due: the load every call feels.

Every call's audio, VAD and timers run on the one event loop of its server process. When
the cores are short, callbacks run later than they were due, and each call's turn ends
and answers come that much later. :class:`LoopLag` measures it directly: a task that
asks to wake every ``interval_secs`` and notes how late it woke, as an exponential average
(so one slow callback does not count as load).

The turn model reads it to shed its work under load
(:class:`~convonet.services.turn_shedding.SheddingVerdict`).
"""

import asyncio
import contextlib

from loguru import logger

INTERVAL_SECS = 0.05
SMOOTHING = 0.2  # weight of each new sample: ~5 samples (0.25 s) make the average


class LoopLag:
    """The running average of how late this process's event loop wakes a sleeper.

    Attributes:
        lag_secs: The current average lateness in seconds (0 until sampled).
    """

    def __init__(self, interval_secs: float = INTERVAL_SECS, smoothing: float = SMOOTHING):
        """Create the gauge (not yet sampling: :meth:`start` it on the server's loop).

        Args:
            interval_secs: How often it samples.
            smoothing: The weight of each new sample in the average (0-1].
        """
        self.interval_secs = interval_secs
        self.smoothing = smoothing
        self.lag_secs = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sampling on the running loop (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._sample(), name="loop-lag")

    async def aclose(self) -> None:
        """Stop sampling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def above(self, limit_secs: float) -> bool:
        """Whether the loop runs later than ``limit_secs`` on average."""
        return self.lag_secs > limit_secs

    async def _sample(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval_secs
            await asyncio.sleep(self.interval_secs)
            late = max(0.0, loop.time() - due)
            self.lag_secs += self.smoothing * (late - self.lag_secs)
            logger.trace("event loop {:.1f} ms late", self.lag_secs * 1000)
