"""Live channels: messages from Redis pub/sub as Server-Sent Events (turns, mortgage changes)."""

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


async def channel_stream(
    store: PubSubStore,
    channel: str,
    event: str,
    ready: dict[str, Any],
    id_key: str | None = None,
) -> AsyncIterator[str]:
    """``ready``, then one ``event`` per JSON object published on ``channel``, with keep-alives.

    Starlette cancels the generator when the client goes away (which closes the Redis
    subscription); the stream also ends by itself after ``MAX_STREAM_SECS`` (clients
    reconnect), so a dashboard left open never holds up a server shutdown for long.

    Args:
        store: Where the messages are published.
        channel: The pub/sub channel.
        event: The name of each message's event.
        ready: The ``ready`` event's data (sent once subscribed).
        id_key: The message field used as the event id, if any.
    """
    async with store.subscribe(channel) as subscription:
        yield sse("ready", ready | {"channel": channel})
        deadline = time.monotonic() + MAX_STREAM_SECS
        while (remaining := deadline - time.monotonic()) > 0:
            message = await subscription.get(timeout=min(KEEPALIVE_SECS, remaining))
            if message is None:
                yield ": keep-alive\n\n"
            elif isinstance(message.data, dict):
                event_id = str(message.data.get(id_key, "")) if id_key else None
                yield sse(event, message.data, event_id)


def event_stream(store: PubSubStore, instance: str) -> AsyncIterator[str]:
    """The Agent Monitor's stream: ``ready``, then one ``turn`` event per published record.

    Args:
        store: Where the records are published.
        instance: This server instance's name, sent in the ``ready`` event.
    """
    return channel_stream(
        store, Keys.timing_channel(), "turn", {"instance": instance}, id_key="turn_id"
    )
