"""TransferEvents: one subscription per process, each call gets only its own transfer's changes."""

import asyncio
import uuid

import pytest

from convonet.storage.redis import RedisStore
from convonet.transfer import events as events_module
from convonet.transfer import service as service_module
from convonet.transfer.events import TransferEvents
from convonet.transfer.service import DepartmentInfo, TransferService

DEPARTMENTS = [DepartmentInfo("support", "2001"), DepartmentInfo("sales", "2002")]


@pytest.fixture
def channel(monkeypatch: pytest.MonkeyPatch) -> str:
    """A channel of this test's own.

    Pub/sub channels are server-wide, not per Redis db, and other test processes' live
    servers subscribe to the real channel meanwhile.
    """
    name = f"transfer-events-{uuid.uuid4().hex}"
    monkeypatch.setattr(events_module, "EVENTS_CHANNEL", name)
    monkeypatch.setattr(service_module, "EVENTS_CHANNEL", name)
    return name


async def _subscribers(store: RedisStore, channel: str) -> int:
    counts = await store.redis.pubsub_numsub(channel)
    return int(dict(counts).get(channel, dict(counts).get(channel.encode(), 0)))


async def test_many_calls_share_one_subscription(redis_store: RedisStore, channel: str) -> None:
    events = TransferEvents(redis_store)
    service = TransferService(redis_store)
    try:
        async with (
            events.listen("call-a") as first,
            events.listen("call-a") as second,
            events.listen("call-b") as other,
        ):
            assert await _subscribers(redis_store, channel) == 1 and events.listeners == 3
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
    assert await _subscribers(redis_store, channel) == 0
