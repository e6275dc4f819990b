"""Call-center agents' live state in Redis: ``callcenter:agent:{id}`` and its events.

Every change is one ``WATCH``/``MULTI`` transaction that writes the new state, keeps the
wrap-up schedule (``callcenter:wrapup``, scored by when wrap-up ends) and publishes the change
on ``callcenter:events``: two server processes racing on one agent never both win, and the
event is published only if the change was. Which changes are allowed is decided by the
caller's update function (:mod:`convonet.callcenter.states`), not here.
"""

import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from loguru import logger
from pydantic import BaseModel, Field, ValidationError
from redis.exceptions import WatchError

from convonet.errors import StorageError
from convonet.storage.models.call_center import AgentState
from convonet.storage.redis.client import RedisFeature, millis
from convonet.storage.redis.keys import Keys

UPDATE_ATTEMPTS = 20
TICKET_TTL_SECS = 60.0


class LiveCall(BaseModel):
    """The call an agent is ringing with, talking on or wrapping up (times: epoch seconds)."""

    leg_id: str
    call_id: str
    call_sid: str | None = None
    session_id: str | None = None
    caller_number: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    offered_at: float
    answered_at: float | None = None
    ended_at: float | None = None
    on_hold: bool = False
    hold_since: float | None = None
    hold_secs: float = 0.0
    transfers: list[dict[str, Any]] = Field(default_factory=list)
    outcome: str | None = None


class AgentLive(BaseModel):
    """``callcenter:agent:{id}``: an agent's state, since when, and its call.

    ``version`` counts the agent's changes: it orders them exactly as they were committed
    (the history's ``seq``), whatever the clocks of the processes that made them.
    """

    agent_id: str
    version: int = 0
    state: AgentState = AgentState.LOGGED_OUT
    since: float = 0.0
    wrap_up_until: float | None = None
    call: LiveCall | None = None


AgentUpdate = Callable[[AgentLive], AgentLive | None]
AgentEvent = Callable[[AgentLive, AgentLive], Mapping[str, Any]]


class AgentStore(RedisFeature):
    """Agents' live state, the wrap-up schedule, the change channel and feed tickets."""

    async def get_agent_live(self, agent_id: str) -> AgentLive:
        """The agent's live state (``logged_out`` since the epoch when never seen)."""
        return _parse(agent_id, await self.redis.get(Keys.callcenter_agent(agent_id)))

    async def get_agents_live(self, agent_ids: Sequence[str]) -> dict[str, AgentLive]:
        """Several agents' live states at once, by id."""
        if not agent_ids:
            return {}
        raws = await self.redis.mget([Keys.callcenter_agent(i) for i in agent_ids])
        return {i: _parse(i, raw) for i, raw in zip(agent_ids, raws, strict=True)}

    async def update_agent_live(
        self, agent_id: str, update: AgentUpdate, event: AgentEvent
    ) -> tuple[AgentLive, AgentLive | None]:
        """Atomically replace the agent's state with ``update(current)`` and publish it.

        Args:
            agent_id: The agent.
            update: Returns the new state, or ``None`` to leave it; may raise to refuse.
            event: The JSON published on ``callcenter:events`` for ``(before, after)``.

        Returns:
            ``(before, after)``; ``after`` is ``None`` when nothing was written.

        Raises:
            StorageError: Other writers kept racing (no change after many attempts).
        """
        key = Keys.callcenter_agent(agent_id)
        for _ in range(UPDATE_ATTEMPTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    before = _parse(agent_id, await pipe.get(key))
                    after = update(before)
                    if after is None:
                        await pipe.unwatch()
                        return before, None
                    pipe.multi()
                    pipe.set(key, after.model_dump_json())
                    if after.wrap_up_until is not None:
                        pipe.zadd(Keys.callcenter_wrap_up(), {agent_id: after.wrap_up_until})
                    else:
                        pipe.zrem(Keys.callcenter_wrap_up(), agent_id)
                    payload = json.dumps(event(before, after), separators=(",", ":"), default=str)
                    pipe.publish(Keys.callcenter_channel(), payload)
                    await pipe.execute()
                    return before, after
                except WatchError:
                    continue
        raise StorageError(f"agent {agent_id} kept changing; update abandoned")

    async def wrap_ups_due(self, now: float, limit: int = 100) -> list[str]:
        """Ids of agents whose wrap-up ended at or before ``now``."""
        ids = await self.redis.zrangebyscore(
            Keys.callcenter_wrap_up(), "-inf", now, start=0, num=limit
        )
        return [str(i) for i in ids]

    async def issue_feed_ticket(self, claims_json: str, ttl_secs: float = TICKET_TTL_SECS) -> str:
        """A fresh single-use ticket for the live feed, standing for ``claims_json``."""
        ticket = secrets.token_urlsafe(32)
        await self.redis.set(
            Keys.callcenter_ticket(_digest(ticket)), claims_json, px=millis(ttl_secs), nx=True
        )
        return ticket

    async def take_feed_ticket(self, ticket: str) -> str | None:
        """The claims a ticket stands for, deleting it (``GETDEL``); ``None`` if unknown."""
        raw = await self.redis.getdel(Keys.callcenter_ticket(_digest(ticket)))
        return None if raw is None else str(raw)


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def _parse(agent_id: str, raw: str | bytes | None) -> AgentLive:
    if raw is None:
        return AgentLive(agent_id=agent_id)
    try:
        return AgentLive.model_validate_json(raw)
    except ValidationError:
        logger.warning(f"unreadable live state of agent {agent_id}; treating it as logged out")
        return AgentLive(agent_id=agent_id)
