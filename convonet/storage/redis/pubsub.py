"""Redis pub/sub: publishing JSON, and subscriptions that yield decoded JSON messages."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Self

import redis.asyncio as aioredis
from loguru import logger
from pydantic import BaseModel
from redis.asyncio.client import PubSub

from convonet.errors import StorageError
from convonet.storage.redis.client import RedisFeature

SUBSCRIBE_TIMEOUT_SECS = 5.0


@dataclass(frozen=True, slots=True)
class Message:
    """One published message.

    Attributes:
        channel: The channel it arrived on.
        data: The decoded JSON payload.
    """

    channel: str
    data: Any


class Subscription:
    """An open subscription to one or more channels."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    @staticmethod
    def encode(payload: Mapping[str, Any]) -> str:
        """The wire form of a payload (compact JSON; datetimes and the like as strings)."""
        return json.dumps(payload, separators=(",", ":"), default=str)

    @classmethod
    async def open(cls, redis: aioredis.Redis, channels: Iterable[str]) -> Self:
        """Subscribe and wait until the server confirms every channel.

        Raises:
            StorageError: No channel given, or the server did not confirm in time.
        """
        names = list(channels)
        if not names:
            raise StorageError("subscribe needs at least one channel")
        pubsub = redis.pubsub()
        await pubsub.subscribe(*names)
        pending = set(names)
        deadline = asyncio.get_running_loop().time() + SUBSCRIBE_TIMEOUT_SECS
        while pending:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                await pubsub.aclose()
                raise StorageError(f"Redis did not confirm the subscription to {sorted(pending)}")
            reply = await pubsub.get_message(timeout=remaining)
            if reply is not None and reply["type"] == "subscribe":
                pending.discard(reply["channel"])
        return cls(pubsub)

    async def get(self, timeout: float | None = None) -> Message | None:
        """The next message, or ``None`` when ``timeout`` seconds pass without one.

        Messages that are not JSON are logged and skipped.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            reply = await self._pubsub.get_message(
                ignore_subscribe_messages=True, timeout=remaining
            )
            if reply is not None and reply["type"] == "message":
                try:
                    return Message(channel=reply["channel"], data=json.loads(reply["data"]))
                except json.JSONDecodeError:
                    logger.warning(f"skipping a non-JSON message on {reply['channel']}")
            if deadline is not None and loop.time() >= deadline:
                return None

    async def __aiter__(self) -> AsyncIterator[Message]:
        """Every message, as it arrives, until the subscription closes."""
        while True:
            message = await self.get()
            if message is not None:
                yield message

    async def close(self) -> None:
        """Unsubscribe and release the connection."""
        await self._pubsub.unsubscribe()
        await self._pubsub.aclose()


class PubSubStore(RedisFeature):
    """Publishing and subscribing on Redis channels."""

    async def publish(self, channel: str, payload: BaseModel | Mapping[str, Any]) -> int:
        """Publish ``payload`` as JSON on ``channel``; returns how many subscribers got it."""
        data = (
            payload.model_dump_json()
            if isinstance(payload, BaseModel)
            else Subscription.encode(payload)
        )
        return int(await self.redis.publish(channel, data))

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[Subscription]:
        """Listen on ``channels`` until the block ends (subscribed before it is entered).

        Yields:
            The subscription: ``await sub.get(timeout)`` or ``async for message in sub``.
        """
        subscription = await Subscription.open(self.redis, channels)
        try:
            yield subscription
        finally:
            await subscription.close()
