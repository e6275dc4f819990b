"""Agents' live state in Redis on fakeredis and the real server: atomic changes, events."""

import asyncio

from convonet.storage.models import AgentState
from convonet.storage.redis import AgentLive, Keys, RedisStore


def _event(before: AgentLive, after: AgentLive) -> dict[str, int]:
    return {"from": before.version, "to": after.version}


def _bump(current: AgentLive) -> AgentLive:
    return current.model_copy(update={"version": current.version + 1})


async def test_concurrent_changes_are_never_lost_and_each_is_published_once(
    redis_store: RedisStore,
) -> None:
    async with redis_store.subscribe(Keys.callcenter_channel()) as events:
        # Each update reads, then writes: without WATCH/MULTI, racing ones would overwrite.
        await asyncio.gather(
            *(redis_store.update_agent_live("a1", _bump, _event) for _ in range(20))
        )
        seen = [await events.get(timeout=2) for _ in range(20)]
    assert (await redis_store.get_agent_live("a1")).version == 20
    assert sorted(m.data["to"] for m in seen if m is not None) == list(range(1, 21))


async def test_no_change_writes_and_publishes_nothing(redis_store: RedisStore) -> None:
    async with redis_store.subscribe(Keys.callcenter_channel()) as events:
        before, after = await redis_store.update_agent_live("a2", lambda _: None, _event)
        assert after is None and await events.get(timeout=0.2) is None
    assert before.state is AgentState.LOGGED_OUT and before.since == 0.0
    assert await redis_store.redis.get(Keys.callcenter_agent("a2")) is None


async def test_the_wrap_up_schedule_follows_the_state(redis_store: RedisStore) -> None:
    def wrap(current: AgentLive) -> AgentLive:
        return current.model_copy(update={"state": AgentState.WRAP_UP, "wrap_up_until": 100.0})

    def ready(current: AgentLive) -> AgentLive:
        return current.model_copy(update={"state": AgentState.READY, "wrap_up_until": None})

    await redis_store.update_agent_live("a3", wrap, _event)
    assert await redis_store.wrap_ups_due(99.0) == []
    assert await redis_store.wrap_ups_due(100.0) == ["a3"]
    await redis_store.update_agent_live("a3", ready, _event)
    assert await redis_store.wrap_ups_due(1e12) == []


async def test_feed_tickets_work_once(redis_store: RedisStore) -> None:
    ticket = await redis_store.issue_feed_ticket('{"user_id": "u1"}')
    assert len(ticket) >= 40
    assert await redis_store.redis.keys(f"*{ticket}*") == []  # only its hash is stored
    taken = await asyncio.gather(*(redis_store.take_feed_ticket(ticket) for _ in range(5)))
    assert taken.count('{"user_id": "u1"}') == 1 and taken.count(None) == 4
