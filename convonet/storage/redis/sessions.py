"""Sessions in Redis: the record ``/api/connect`` stores and the transports read back."""

from datetime import UTC, datetime

from loguru import logger
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from convonet.channels import Channel
from convonet.storage.redis.client import SESSION_ID_PATTERN, RedisFeature, millis
from convonet.storage.redis.keys import Keys


class CallSessionRecord(BaseModel):
    """What ``/api/connect`` stores for a session and the transports read back."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    session_id: str = Field(pattern=SESSION_ID_PATTERN.pattern)
    bot: str
    llm: str | None = None
    channel: Channel
    user_id: str | None = None
    user_name: str | None = None
    roles: list[str] = Field(default_factory=list)
    team_ids: list[str] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    metadata: dict[str, str] = Field(default_factory=dict)


class SessionStore(RedisFeature):
    """``session:{id}`` records with a TTL."""

    async def save_session(self, record: CallSessionRecord, ttl_secs: float) -> None:
        """Store ``record`` under its session id, replacing any previous one, for ``ttl_secs``."""
        key = Keys.session(record.session_id)
        await self.redis.set(key, record.model_dump_json(), px=millis(ttl_secs))

    async def get_session(self, session_id: str) -> CallSessionRecord | None:
        """The session's record; ``None`` when unknown, expired, malformed or unreadable."""
        if SESSION_ID_PATTERN.fullmatch(session_id) is None:
            return None
        raw = await self.redis.get(Keys.session(session_id))
        if raw is None:
            return None
        try:
            return CallSessionRecord.model_validate_json(raw)
        except ValidationError:
            logger.warning(f"unreadable session record {session_id}; ignoring it")
            return None

    async def touch_session(self, session_id: str, ttl_secs: float) -> bool:
        """Give a live session a fresh TTL; ``False`` if it no longer exists."""
        if SESSION_ID_PATTERN.fullmatch(session_id) is None:
            return False
        return bool(await self.redis.pexpire(Keys.session(session_id), millis(ttl_secs)))

    async def delete_session(self, session_id: str) -> bool:
        """Remove the session; ``False`` if it did not exist."""
        if SESSION_ID_PATTERN.fullmatch(session_id) is None:
            return False
        return bool(await self.redis.delete(Keys.session(session_id)))
