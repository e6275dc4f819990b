"""The Agent Monitor's bounded in-memory buffer of turn records not yet in Redis.

Records wait here between the turn that made them and the writer that stores them; while
Redis is down they stay (the writer hands a failed batch back), up to a capacity
(``MONITOR_BUFFER_MAX``). A full buffer refuses new records and counts them as dropped:
memory stays bounded however long the outage, and ``convonet_monitor_records_dropped_total``
says what was lost.
"""

import asyncio
from collections import deque
from collections.abc import Sequence

from convonet.turns.record import Turn


class TurnBuffer:
    """A bounded FIFO of turn records with an "idle" signal for flushing.

    Args:
        capacity: The most records held; beyond it new records are dropped.

    Attributes:
        dropped: Records refused because the buffer was full.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.dropped = 0
        self._items: deque[Turn] = deque()
        self._in_flight = 0
        self._changed = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        """Records waiting, not counting a batch being written."""
        return len(self._items)

    @property
    def pending(self) -> int:
        """Records not yet written: waiting plus being written."""
        return len(self._items) + self._in_flight

    def put(self, turn: Turn) -> bool:
        """Add ``turn`` at the end; False (and counted as dropped) when the buffer is full."""
        if self.pending >= self.capacity:
            self.dropped += 1
            return False
        self._items.append(turn)
        self._idle.clear()
        self._changed.set()
        return True

    async def take(self, count: int) -> list[Turn]:
        """Wait for records, then remove and return up to ``count`` of the oldest."""
        while not self._items:
            self._changed.clear()
            await self._changed.wait()
        batch = [self._items.popleft() for _ in range(min(count, len(self._items)))]
        self._in_flight += len(batch)
        return batch

    def done(self, batch: Sequence[Turn]) -> None:
        """``batch`` (from :meth:`take`) was written, or given up on."""
        self._in_flight -= len(batch)
        if not self.pending:
            self._idle.set()

    def give_back(self, batch: Sequence[Turn]) -> None:
        """Return an unwritten ``batch`` to the front, to be taken again first."""
        self._in_flight -= len(batch)
        # Its place was kept (put() counts records in flight), so the buffer stays bounded.
        self._items.extendleft(reversed(batch))
        self._changed.set()

    async def idle(self) -> None:
        """Wait until every record has been written or given up on."""
        await self._idle.wait()
