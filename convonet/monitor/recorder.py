"""The turn recorder: hands records to Redis in the background, in batches.

The recorder is a :class:`~convonet.turns.listeners.TurnListener` of every voice and text
turn: :meth:`TurnRecorder.turn_ended` only appends to an in-memory
:class:`~convonet.monitor.buffer.TurnBuffer` and never waits. One writer task per process
drains the buffer, a batch at a time, into :meth:`TurnStore.save_turns` (one Redis round trip
per batch), so measuring a turn adds no Redis latency to the turn itself.

When Redis is down the batch goes back into the buffer and the writer retries with a growing
pause (up to :data:`RETRY_MAX_SECS`), so the records of calls made during an outage reach the
Agent Monitor once Redis is back. The buffer is bounded; what it cannot hold is dropped and
counted (:attr:`TurnRecorder.dropped`, ``convonet_monitor_records_dropped_total``).
"""

import asyncio
import uuid

from loguru import logger

from convonet.monitor.buffer import TurnBuffer
from convonet.storage.outage import outage_of
from convonet.storage.redis.turns import TurnStore
from convonet.turns.listeners import TurnListener
from convonet.turns.record import INSTANCE_ID, Turn

BATCH_MAX = 200
LINGER_SECS = 0.05
QUEUE_MAX = 10_000
RETRY_MIN_SECS = 0.25
RETRY_MAX_SECS = 2.0


class TurnRecorder(TurnListener):
    """Buffers turn records and writes them with a background task.

    Args:
        store: Where records go.
        batch_max: Most records per Redis round trip.
        linger_secs: How long the writer waits for more records after the first of a batch.
        queue_max: Records kept while Redis is slow or down; beyond it new records are
            dropped (and counted) rather than growing without bound.

    Attributes:
        instance: Names this server instance in every record it writes (``host:pid/id``).
        batches: Batches written.
        retries: Writes that failed because Redis was unreachable (and were retried).
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
        self.buffer = TurnBuffer(queue_max)
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0
        self.retries = 0

    @property
    def dropped(self) -> int:
        """Records lost: refused by the full buffer, or refused by Redis as unstorable."""
        return self.buffer.dropped

    def turn_ended(self, turn: Turn) -> None:
        """Queue ``turn`` for writing; returns at once (never awaits, never raises on load).

        Must be called from the event loop the recorder writes on.
        """
        turn.instance = self.instance
        if not self.buffer.put(turn):
            logger.warning(f"turn recorder buffer full: dropped {turn.kind} turn {turn.turn_id}")
            return
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(
                self._write_forever(), name="turn-recorder"
            )

    async def flush(self) -> None:
        """Wait until every buffered record has been written (or given up on)."""
        await self.buffer.idle()

    async def aclose(self) -> None:
        """Write what is buffered (briefly), then stop the writer."""
        if self._writer is None:
            return
        try:
            async with asyncio.timeout(5):
                await self.flush()
        except TimeoutError:
            logger.warning(f"turn recorder: {self.buffer.pending} records not written at exit")
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)
        self._writer = None

    async def _write_forever(self) -> None:
        pause = RETRY_MIN_SECS
        while True:
            batch = await self.buffer.take(1)
            if self._linger_secs > 0:
                await asyncio.sleep(self._linger_secs)
            batch += await self.buffer.take(self._batch_max - 1) if len(self.buffer) else []
            try:
                await self._store.save_turns(batch)
            except Exception as error:  # the writer task's boundary
                if outage_of(error) is None:  # Redis refused the data itself: retrying won't help
                    logger.exception(f"turn recorder: dropped {len(batch)} unstorable records")
                    self.buffer.dropped += len(batch)
                    self.buffer.done(batch)
                    continue
                self.retries += 1
                self.buffer.give_back(batch)
                logger.warning(
                    f"turn recorder: Redis unavailable ({error!r}); {self.buffer.pending} "
                    f"records kept, retrying in {pause:.2f} s"
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_SECS)
                continue
            pause = RETRY_MIN_SECS
            self.batches += 1
            self.buffer.done(batch)
