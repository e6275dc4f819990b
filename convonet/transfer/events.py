"""One subscriber per server process to the ``transfer-events`` channel, shared by its calls.

Every change of any transfer is published on ``transfer-events`` (by whichever process made
it). Instead of each running call holding its own Redis pub/sub connection, the process holds
one subscription (opened with the first listener, reopened after a Redis outage) and hands
each event to the listeners of the call it names.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from loguru import logger
from redis.exceptions import RedisError

from convonet.errors import StorageError
from convonet.storage.redis import PubSubStore
from convonet.transfer.service import EVENTS_CHANNEL

SUBSCRIBED_WITHIN_SECS = 5.0
RETRY_SECS = 1.0
Event = dict[str, Any]


class TransferEvents:
    """This process's subscription to transfer changes, fanned out by session."""

    def __init__(self, store: PubSubStore) -> None:
        """Create the fan-out on ``store`` (nothing is subscribed until someone listens)."""
        self._store = store
        self._queues: dict[str, set[asyncio.Queue[Event]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    @property
    def listeners(self) -> int:
        """How many listeners are registered (all sessions)."""
        return sum(len(queues) for queues in self._queues.values())

    @asynccontextmanager
    async def listen(self, session_id: str) -> AsyncIterator[asyncio.Queue[Event]]:
        """The events of ``session_id``'s transfer, from when the block is entered.

        Raises:
            StorageError: The process's subscription could not be opened in time.
        """
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._queues.setdefault(session_id, set()).add(queue)
        try:
            await self._running()
            yield queue
        finally:
            queues = self._queues.get(session_id, set())
            queues.discard(queue)
            if not queues:
                self._queues.pop(session_id, None)

    async def _running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._subscribe(), name="transfer-events")
        try:
            async with asyncio.timeout(SUBSCRIBED_WITHIN_SECS):
                await self._subscribed.wait()
        except TimeoutError as exc:
            raise StorageError("the transfer-events subscription did not open in time") from exc

    async def _subscribe(self) -> None:
        while True:
            try:
                async with self._store.subscribe(EVENTS_CHANNEL) as events:
                    self._subscribed.set()
                    async for message in events:
                        self._dispatch(message.data)
            except (StorageError, RedisError, OSError) as exc:
                logger.warning(f"transfer events unavailable, retrying: {exc}")
            self._subscribed.clear()
            await asyncio.sleep(RETRY_SECS)

    def _dispatch(self, event: object) -> None:
        if not isinstance(event, dict):
            return
        for queue in self._queues.get(str(event.get("session_id")), ()):
            queue.put_nowait(event)

    async def aclose(self) -> None:
        """Drop the subscription (the lifespan's end)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._subscribed.clear()
