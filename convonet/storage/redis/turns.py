"""Turn records in Redis (the Agent Monitor): per session, a global stream, a live channel.

Each :class:`~convonet.turns.record.Turn` goes to its session's list (capped), to the global
capped stream ``timings:stream`` and to the pub/sub channel ``timings:live``, so every
server instance's dashboards see it.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from loguru import logger
from pydantic import ValidationError

from convonet.errors import InvalidInputError
from convonet.storage.redis.client import SESSION_ID_PATTERN, RedisFeature, millis
from convonet.storage.redis.keys import Keys
from convonet.turns.record import Turn

TIMING_TTL_SECS = 24 * 3600.0
TIMING_STREAM_MAXLEN = 10_000
TIMING_SESSION_MAX = 500
STREAM_ID_PATTERN = re.compile(r"\d{1,20}-\d{1,20}")


@dataclass(frozen=True, slots=True)
class TurnPage:
    """A page of the global turn stream, newest first.

    Attributes:
        items: ``(entry id, record)`` pairs.
        last_id: The oldest entry id read (the cursor of the next page), if any was read.
        exhausted: Whether the stream has no older entries.
    """

    items: list[tuple[str, Turn]]
    last_id: str | None
    exhausted: bool


def _turn_or_none(raw: str) -> Turn | None:
    try:
        return Turn.model_validate_json(raw)
    except ValidationError:
        logger.warning("skipping an unreadable turn record")
        return None


class TurnStore(RedisFeature):
    """``timing:{session_id}``, ``timings:stream`` and ``timings:live``."""

    async def save_turns(
        self,
        turns: Sequence[Turn],
        *,
        ttl_secs: float = TIMING_TTL_SECS,
        stream_maxlen: int = TIMING_STREAM_MAXLEN,
    ) -> None:
        """Store a batch of turn records in one round trip, then publish each.

        Each record is appended to its session's list (capped at ``TIMING_SESSION_MAX``) and
        to the global stream (trimmed to about ``stream_maxlen`` entries); both get a fresh
        TTL of ``ttl_secs``.
        """
        if not turns:
            return
        ttl = millis(ttl_secs)
        stream = Keys.timing_stream()
        payloads = [(turn, turn.model_dump_json()) for turn in turns]
        async with self.redis.pipeline(transaction=False) as pipe:
            for turn, data in payloads:
                key = Keys.timings(turn.session_id)
                pipe.rpush(key, data)
                pipe.ltrim(key, -TIMING_SESSION_MAX, -1)
                pipe.pexpire(key, ttl)
                pipe.xadd(stream, {"turn": data}, maxlen=stream_maxlen, approximate=True)
            pipe.pexpire(stream, ttl)
            for _turn, data in payloads:
                pipe.publish(Keys.timing_channel(), data)
            await pipe.execute()

    async def session_turns(self, session_id: str) -> list[Turn]:
        """A session's turn records, oldest first (unreadable ones are skipped)."""
        if SESSION_ID_PATTERN.fullmatch(session_id) is None:
            return []
        raw = cast(list[str], await self.redis.lrange(Keys.timings(session_id), 0, -1))
        return [turn for turn in map(_turn_or_none, raw) if turn is not None]

    async def recent_turns(self, count: int, *, before: str | None = None) -> TurnPage:
        """Up to ``count`` entries of the global stream, newest first.

        Args:
            count: How many entries to read (unreadable ones are skipped, not replaced).
            before: Only entries older than this entry id (a page cursor).

        Raises:
            InvalidInputError: ``before`` is not a stream entry id.
        """
        if before is not None and STREAM_ID_PATTERN.fullmatch(before) is None:
            raise InvalidInputError(f"bad cursor {before[:40]!r}")
        entries = cast(
            list[tuple[str, dict[str, str]]],
            await self.redis.xrevrange(
                Keys.timing_stream(), f"({before}" if before else "+", "-", count=count
            ),
        )
        return TurnPage(
            items=[
                (entry_id, turn)
                for entry_id, fields in entries
                if (turn := _turn_or_none(fields.get("turn", ""))) is not None
            ],
            last_id=entries[-1][0] if entries else None,
            exhausted=len(entries) < count,
        )
