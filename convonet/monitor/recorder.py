"""The turn recorder: hands records to Redis in the background, in batches.

The recorder is a :class:`~convonet.turns.listeners.TurnListener` of every voice and text
turn: :meth:`TurnRecorder.turn_ended` only appends to an in-memory queue and never waits. One
writer task per process drains the queue, a batch at a time, into
:meth:`TurnStore.save_turns` (one Redis round trip per batch), so measuring a turn adds no
Redis latency to the turn itself.
"""

import asyncio
import uuid

from loguru import logger

from convonet.storage.redis.turns import TurnStore
from convonet.turns.listeners import TurnListener
from convonet.turns.record import INSTANCE_ID, Turn

BATCH_MAX = 200
LINGER_SECS = 0.05
QUEUE_MAX = 10_000


class TurnRecorder(TurnListener):
    """Buffers turn records and writes them with a background task.

    Args:
        store: Where records go.
        batch_max: Most records per Redis round trip.
        linger_secs: How long the writer waits for more records after the first of a batch.
        queue_max: Records kept while Redis is slow; beyond it new records are dropped
            (and logged) rather than growing without bound.

    Attributes:
        instance: Names this server instance in every record it writes (``host:pid/id``).
    """

    def __init__(
        self,
        store: TurnStore,
        *,
        batch_max: int = BATCH_MAX,
        linger_secs: float = LINGER_SECS,
        queue_max: int = QUEUE_MAX,
    ) -> None:
        self._store = store
        self.instance = f"{INSTANCE_ID}/{uuid.uuid4().hex[:6]}"
        self._batch_max = batch_max
        self._linger_secs = linger_secs
        self._queue: asyncio.Queue[Turn] = asyncio.Queue(maxsize=queue_max)
        self._writer: asyncio.Task[None] | None = None
        self.dropped = 0
        self.batches = 0

    def turn_ended(self, turn: Turn) -> None:
        """Queue ``turn`` for writing; returns at once (never awaits, never raises on load).

        Must be called from the event loop the recorder writes on.
        """
        turn.instance = self.instance
        try:
            self._queue.put_nowait(turn)
        except asyncio.QueueFull:
            self.dropped += 1
            logger.warning(f"turn recorder queue full: dropped {turn.kind} turn {turn.turn_id}")
            return
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(
                self._write_forever(), name="turn-recorder"
            )

    async def flush(self) -> None:
        """Wait until every queued record has been written (or failed and been logged)."""
        await self._queue.join()

    async def aclose(self) -> None:
        """Write what is queued, then stop the writer."""
        if self._writer is None:
            return
        try:
            async with asyncio.timeout(5):
                await self.flush()
        except TimeoutError:
            logger.warning(f"turn recorder: {self._queue.qsize()} records not written at exit")
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)
        self._writer = None

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            if self._linger_secs > 0:
                await asyncio.sleep(self._linger_secs)
            while len(batch) < self._batch_max and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._store.save_turns(batch)
                self.batches += 1
            except Exception:  # the writer task's boundary: a Redis failure loses this batch
                logger.exception(f"turn recorder: could not write {len(batch)} records")
            finally:
                for _ in batch:
                    self._queue.task_done()
