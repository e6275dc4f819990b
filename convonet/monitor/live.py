"""The live channel: turn records from Redis pub/sub as Server-Sent Events."""

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from convonet.storage.redis import Keys, PubSubStore

KEEPALIVE_SECS = 15.0
MAX_STREAM_SECS = 30 * 60.0


def sse(event: str, data: Any, event_id: str | None = None) -> str:
    """One Server-Sent Event (``data`` as single-line JSON)."""
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def event_stream(store: PubSubStore, instance: str) -> AsyncIterator[str]:
    """``ready``, then one ``turn`` event per published record, with keep-alive comments.

    Starlette cancels the generator when the client goes away (which closes the Redis
    subscription); the stream also ends by itself after ``MAX_STREAM_SECS`` (clients
    reconnect), so a dashboard left open never holds up a server shutdown for long.

    Args:
        store: Where the records are published.
        instance: This server instance's name, sent in the ``ready`` event.
    """
    async with store.subscribe(Keys.timing_channel()) as subscription:
        yield sse("ready", {"instance": instance, "channel": Keys.timing_channel()})
        deadline = time.monotonic() + MAX_STREAM_SECS
        while (remaining := deadline - time.monotonic()) > 0:
            message = await subscription.get(timeout=min(KEEPALIVE_SECS, remaining))
            if message is None:
                yield ": keep-alive\n\n"
            elif isinstance(message.data, dict):
                yield sse("turn", message.data, str(message.data.get("turn_id", "")))
