"""A text session's spoken conversation in Redis (``POST /agent/process``)."""

import json
from typing import Any

from convonet.storage.redis.client import RedisFeature, millis
from convonet.storage.redis.keys import Keys


class HistoryStore(RedisFeature):
    """``history:{session_id}``: ``[{"role", "content"}]`` as JSON."""

    async def get_history(self, session_id: str) -> list[dict[str, Any]]:
        """A text session's conversation (``[{"role", "content"}]``), oldest first."""
        raw = await self.redis.get(Keys.history(session_id))
        if raw is None:
            return []
        try:
            items = json.loads(raw)
        except ValueError:
            return []
        return items if isinstance(items, list) else []

    async def save_history(
        self, session_id: str, items: list[dict[str, Any]], ttl_secs: float, keep: int = 40
    ) -> None:
        """Store the last ``keep`` messages of a text session's conversation."""
        await self.redis.set(
            Keys.history(session_id), json.dumps(items[-keep:]), px=millis(ttl_secs)
        )
