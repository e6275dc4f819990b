"""TransferEvents: one subscription per process, each call gets only its own transfer's changes."""

import asyncio

from convonet.storage.redis import RedisStore
from convonet.transfer.events import TransferEvents
from convonet.transfer.service import EVENTS_CHANNEL, DepartmentInfo, TransferService

DEPARTMENTS = [DepartmentInfo("support", "2001"), DepartmentInfo("sales", "2002")]


async def _subscribers(store: RedisStore) -> int:
    counts = await store.redis.pubsub_numsub(EVENTS_CHANNEL)
    return int(dict(counts).get(EVENTS_CHANNEL, dict(counts).get(EVENTS_CHANNEL.encode(), 0)))


async def test_many_calls_share_one_subscription(redis_store: RedisStore) -> None:
    events = TransferEvents(redis_store)
    service = TransferService(redis_store)
    try:
        async with (
            events.listen("call-a") as first,
            events.listen("call-a") as second,
            events.listen("call-b") as other,
        ):
            assert await _subscribers(redis_store) == 1 and events.listeners == 3
            await service.start("call-a", "support", DEPARTMENTS)
            await service.start("call-b", "sales", DEPARTMENTS)
            await service.advance("call-a", "initiated", call_sid="CA1")
            got = [
                [(await asyncio.wait_for(q.get(), 5))["status"] for _ in range(n)]
                for q, n in ((first, 2), (second, 2), (other, 1))
            ]
            assert got == [["requested", "initiated"], ["requested", "initiated"], ["requested"]]
            assert first.empty() and other.empty()
        assert events.listeners == 0
    finally:
        await events.aclose()
    await asyncio.sleep(0.1)
    assert await _subscribers(redis_store) == 0
