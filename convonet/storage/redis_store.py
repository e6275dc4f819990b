"""The Redis store: the one module that owns Redis key names, TTLs and serialization.

Keys (see :class:`Keys`):

* ``session:{session_id}``: a :class:`CallSessionRecord` (JSON), with the session TTL.
* ``wstoken:{token}``: the session id a WebSocket connection token admits; single use.
* ``authfail:{scope}:{key}``: failed sign-ins as a sorted set of timestamps (sliding window).
* Reserved for later features: ``transfer:{session_id}`` and
  ``callcenter:customer:{extension}:{call_sid}``.
* Agent Monitor: ``timing:{session_id}`` (a session's :class:`TurnRecord` list),
  ``timings:stream`` (every session's records, a capped stream) and the pub/sub channel
  ``timings:live`` (each record as it is written, for every server instance's dashboards).

``REDIS_URL`` selects a real server; otherwise :func:`create_redis` returns an in-process
fakeredis. Values are JSON (pydantic models); clients decode responses to ``str``.
"""

import hashlib
import json
import math
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Self, cast

import redis.asyncio as aioredis
from loguru import logger
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from convonet.errors import InvalidInputError
from convonet.monitor.records import TurnRecord
from convonet.session import Channel
from convonet.settings import Settings
from convonet.storage.pubsub import Subscription

if TYPE_CHECKING:
    from fakeredis import FakeServer

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")
SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
SCOPE_PATTERN = re.compile(r"[a-z0-9_]{1,32}")
MAX_KEY_PART = 128


def create_redis(settings: Settings, *, fake_server: "FakeServer | None" = None) -> aioredis.Redis:
    """A Redis client for the settings: the real server at ``redis_url``, else fakeredis.

    The embedded fake keeps its data in a :class:`FakeServer` that lives as long as its
    clients: create the client once per runtime and share it (pass ``fake_server`` to let
    several clients see the same data).

    Args:
        settings: ``redis_url`` selects the server.
        fake_server: The fake's data store when ``redis_url`` is unset (a new one if omitted).

    Returns:
        A client with ``decode_responses=True`` (no connection is made until first use).
    """
    if settings.redis_url:
        client: aioredis.Redis = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
        return client
    import fakeredis  # lazy: only the embedded default needs it

    server = fake_server or fakeredis.FakeServer()
    return fakeredis.FakeAsyncRedis(server=server, decode_responses=True)


def _hashed_if_long(value: str) -> str:
    if len(value) <= MAX_KEY_PART:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


class Keys:
    """Builders of every key name the application uses (nothing else formats keys)."""

    @staticmethod
    def session(session_id: str) -> str:
        """``session:{session_id}``."""
        return f"session:{session_id}"

    @staticmethod
    def ws_token(token: str) -> str:
        """``wstoken:{token}``."""
        return f"wstoken:{token}"

    @staticmethod
    def auth_failures(scope: str, key: str) -> str:
        """``authfail:{scope}:{key}``; keys longer than 128 characters are hashed.

        Raises:
            InvalidInputError: ``scope`` is not a short lower-case word or ``key`` is empty.
        """
        if SCOPE_PATTERN.fullmatch(scope) is None or not key:
            raise InvalidInputError(f"bad failure-counter scope/key: {scope[:40]!r}")
        return f"authfail:{scope}:{_hashed_if_long(key)}"

    @staticmethod
    def transfer(session_id: str) -> str:
        """``transfer:{session_id}``: a pending call transfer (later feature)."""
        return f"transfer:{session_id}"

    @staticmethod
    def callcenter_customer(extension: str, call_sid: str) -> str:
        """``callcenter:customer:{extension}:{call_sid}``: caller context for an agent."""
        return f"callcenter:customer:{extension}:{call_sid}"

    @staticmethod
    def history(session_id: str) -> str:
        """``history:{session_id}``: a text session's spoken conversation (JSON list)."""
        return f"history:{session_id}"

    @staticmethod
    def claim(kind: str, item_id: str) -> str:
        """``claim:{kind}:{id}``: marks a one-time use (a phone stream of a session)."""
        return f"claim:{kind}:{_hashed_if_long(item_id)}"

    @staticmethod
    def timings(session_id: str) -> str:
        """``timing:{session_id}``: a session's turn records (JSON list, oldest first)."""
        return f"timing:{session_id}"

    @staticmethod
    def timing_stream() -> str:
        """``timings:stream``: every session's turn records, a capped stream."""
        return "timings:stream"

    @staticmethod
    def timing_channel() -> str:
        """``timings:live``: the pub/sub channel each turn record is published on."""
        return "timings:live"


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


TRANSFER_TTL_SECS = 3600.0
TransferStatus = Literal["requested", "initiated", "ringing", "connected", "failed"]
TIMING_TTL_SECS = 24 * 3600.0  # turn records (Agent Monitor)
TIMING_STREAM_MAXLEN = 10_000
TIMING_SESSION_MAX = 500
STREAM_ID_PATTERN = re.compile(r"\d{1,20}-\d{1,20}")


class TransferStep(BaseModel):
    """One status change of a transfer, with its wall-clock time."""

    status: TransferStatus
    at: float


class TransferRecord(BaseModel):
    """``transfer:{session}``: a caller's hand-off to a human department."""

    session_id: str
    department: str
    extension: str
    reason: str = ""
    user_id: str | None = None
    status: TransferStatus
    history: list[TransferStep] = Field(default_factory=list)


def _millis(ttl_secs: float) -> int:
    if not ttl_secs > 0:
        raise InvalidInputError(f"a TTL must be positive, not {ttl_secs}")
    return max(1, round(ttl_secs * 1000))


class RedisStore:
    """Typed access to everything Convonet keeps in Redis.

    Args:
        redis: A client from :func:`create_redis` (``decode_responses=True``).
        clock: Wall-clock seconds used for failure timestamps (tests pass their own).
    """

    def __init__(self, redis: aioredis.Redis, *, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """A store on the client :func:`create_redis` makes for ``settings``."""
        return cls(create_redis(settings))

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self.redis.aclose()

    # --- sessions -----------------------------------------------------------------------

    async def save_session(self, record: CallSessionRecord, ttl_secs: float) -> None:
        """Store ``record`` under its session id, replacing any previous one, for ``ttl_secs``."""
        key = Keys.session(record.session_id)
        await self.redis.set(key, record.model_dump_json(), px=_millis(ttl_secs))

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
        return bool(await self.redis.pexpire(Keys.session(session_id), _millis(ttl_secs)))

    async def delete_session(self, session_id: str) -> bool:
        """Remove the session; ``False`` if it did not exist."""
        if SESSION_ID_PATTERN.fullmatch(session_id) is None:
            return False
        return bool(await self.redis.delete(Keys.session(session_id)))

    # --- WebSocket connection tokens ----------------------------------------------------

    async def issue_ws_token(self, session_id: str, ttl_secs: float) -> str:
        """A fresh unguessable token that admits one connection to ``session_id``."""
        token = secrets.token_urlsafe(32)
        await self.redis.set(Keys.ws_token(token), session_id, px=_millis(ttl_secs), nx=True)
        return token

    async def consume_ws_token(self, token: str) -> str | None:
        """The session id ``token`` admits, deleting the token (atomic ``GETDEL``).

        Returns:
            ``None`` for unknown, used, expired or malformed tokens; of concurrent callers
            with the same token, exactly one gets the session id.
        """
        if not isinstance(token, str) or TOKEN_PATTERN.fullmatch(token) is None:
            return None
        session_id = await self.redis.getdel(Keys.ws_token(token))
        return None if session_id is None else str(session_id)

    # --- failed sign-ins ----------------------------------------------------------------

    async def record_failure(self, scope: str, key: str, window_secs: float) -> int:
        """Count one failure for ``key`` in ``scope`` (``ip``, ``user``, ``phone``, ...).

        Returns:
            The failures in the sliding window of ``window_secs`` ending now, this one included.
        """
        name = Keys.auth_failures(scope, key)
        now = self._clock()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(name, "-inf", now - window_secs)
            pipe.zadd(name, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
            pipe.zcard(name)
            pipe.pexpire(name, _millis(window_secs))
            results = await pipe.execute()
        return int(results[2])

    async def failures(self, scope: str, key: str, window_secs: float | None = None) -> int:
        """Failures recorded for ``key`` (only those in the last ``window_secs`` if given)."""
        name = Keys.auth_failures(scope, key)
        if window_secs is None:
            return int(await self.redis.zcard(name))
        return int(await self.redis.zcount(name, f"({self._clock() - window_secs}", "+inf"))

    async def reset_failures(self, scope: str, key: str) -> None:
        """Forget every failure of ``key`` (after a successful sign-in)."""
        await self.redis.delete(Keys.auth_failures(scope, key))

    async def lockout_remaining(self, scope: str, key: str, limit: int, window_secs: float) -> int:
        """Seconds until ``key`` may try again (0 when it is not locked out).

        ``key`` is locked out while it has ``limit`` or more failures in the sliding window;
        the lock lifts when enough of them age out of the window to leave fewer than ``limit``.
        """
        now = self._clock()
        stamps = cast(
            list[tuple[str, float]],
            await self.redis.zrangebyscore(
                Keys.auth_failures(scope, key), f"({now - window_secs}", "+inf", withscores=True
            ),
        )
        if len(stamps) < limit:
            return 0
        _member, oldest_that_matters = stamps[len(stamps) - limit]
        return max(1, math.ceil(oldest_that_matters + window_secs - now))

    # --- pub/sub ------------------------------------------------------------------------

    async def claim_once(self, kind: str, item_id: str, ttl_secs: float) -> bool:
        """Whether this is the first claim of ``item_id`` (atomic ``SET NX``) within the TTL."""
        return bool(
            await self.redis.set(Keys.claim(kind, item_id), "1", px=_millis(ttl_secs), nx=True)
        )

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
            Keys.history(session_id), json.dumps(items[-keep:]), px=_millis(ttl_secs)
        )

    # --- call transfers -----------------------------------------------------------------

    async def request_transfer(
        self,
        session_id: str,
        *,
        department: str,
        extension: str,
        reason: str = "",
        user_id: str | None = None,
        ttl_secs: float = TRANSFER_TTL_SECS,
    ) -> TransferRecord:
        """Record that ``session_id`` asked for a human (status ``requested``)."""
        record = TransferRecord(
            session_id=session_id,
            department=department,
            extension=extension,
            reason=reason,
            user_id=user_id,
            status="requested",
            history=[TransferStep(status="requested", at=self._clock())],
        )
        await self.redis.set(
            Keys.transfer(session_id), record.model_dump_json(), px=_millis(ttl_secs)
        )
        return record

    async def get_transfer(self, session_id: str) -> TransferRecord | None:
        """The transfer state of ``session_id``, if it asked for one."""
        raw = await self.redis.get(Keys.transfer(session_id))
        if raw is None:
            return None
        try:
            return TransferRecord.model_validate_json(raw)
        except ValidationError:
            return None

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

    # --- turn timings (Agent Monitor) ---------------------------------------------------

    async def save_turns(
        self,
        turns: Sequence[TurnRecord],
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
        ttl = _millis(ttl_secs)
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

    async def session_turns(self, session_id: str) -> list[TurnRecord]:
        """A session's turn records, oldest first (unreadable ones are skipped)."""
        if SESSION_ID_PATTERN.fullmatch(session_id) is None:
            return []
        raw = cast(list[str], await self.redis.lrange(Keys.timings(session_id), 0, -1))
        return [turn for turn in map(_turn_or_none, raw) if turn is not None]

    async def recent_turns(self, count: int, *, before: str | None = None) -> "TurnPage":
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


@dataclass(frozen=True, slots=True)
class TurnPage:
    """A page of the global turn stream, newest first.

    Attributes:
        items: ``(entry id, record)`` pairs.
        last_id: The oldest entry id read (the cursor of the next page), if any was read.
        exhausted: Whether the stream has no older entries.
    """

    items: list[tuple[str, TurnRecord]]
    last_id: str | None
    exhausted: bool


def _turn_or_none(raw: str) -> TurnRecord | None:
    try:
        return TurnRecord.model_validate_json(raw)
    except ValidationError:
        logger.warning("skipping an unreadable turn record")
        return None
