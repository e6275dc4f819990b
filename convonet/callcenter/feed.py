"""The live feed: every agent state change, from Redis pub/sub, as Server-Sent Events.

Every server process publishes its changes on ``callcenter:events`` inside the transaction
that makes them, so a stream opened on any process sees every change. Each stream first
subscribes, then sends a ``ready`` event holding the current state of every agent it may
see (so nothing falls between the snapshot and the first change), then one ``agent`` event
per change of a visible agent, with keep-alive comments.
"""

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from convonet.callcenter.api_models import AgentStatus
from convonet.callcenter.scope import Scope
from convonet.monitor.live import sse
from convonet.storage.redis import Keys, PubSubStore

KEEPALIVE_SECS = 15.0
MAX_STREAM_SECS = 30 * 60.0


def visible(scope: Scope, event: dict[str, Any]) -> bool:
    """Whether the viewer may see this change (their own, their teams', or an admin)."""
    if scope.is_admin or event.get("user_id") == scope.user_id:
        return True
    return bool(scope.team_ids & set(event.get("team_ids") or ()))


async def agent_events(
    store: PubSubStore,
    scope: Scope,
    snapshot: Callable[[], Awaitable[list[AgentStatus]]],
    *,
    keepalive_secs: float = KEEPALIVE_SECS,
) -> AsyncIterator[str]:
    """``ready`` (the snapshot), then an ``agent`` event per visible change.

    The stream ends by itself after ``MAX_STREAM_SECS`` (``EventSource`` reconnects), so an
    open dashboard never holds a server shutdown up for long.
    """
    async with store.subscribe(Keys.callcenter_channel()) as subscription:
        agents = [status.model_dump(mode="json") for status in await snapshot()]
        yield sse("ready", {"channel": Keys.callcenter_channel(), "agents": agents})
        deadline = time.monotonic() + MAX_STREAM_SECS
        while (remaining := deadline - time.monotonic()) > 0:
            message = await subscription.get(timeout=min(keepalive_secs, remaining))
            if message is None:
                yield ": keep-alive\n\n"
            elif isinstance(message.data, dict) and visible(scope, message.data):
                event = {k: v for k, v in message.data.items() if k != "team_ids"}
                yield sse("agent", event)
