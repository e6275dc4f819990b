"""The transfer service on both Redis backends: states, pub/sub, second requests, races."""

import asyncio
import json

import pytest

from convonet.errors import TransferError
from convonet.storage.redis import Keys, RedisStore
from convonet.transfer.service import EVENTS_CHANNEL, DepartmentInfo, TransferService

DEPARTMENTS = [
    DepartmentInfo("billing", "2003"),
    DepartmentInfo("sales", "2002"),
    DepartmentInfo("support", "2001", "Help desk"),
]


async def test_a_transfer_moves_through_its_states_and_publishes_each(
    redis_store: RedisStore,
) -> None:
    service = TransferService(redis_store)
    async with redis_store.subscribe(EVENTS_CHANNEL) as events:
        started = await service.start(
            "call-1", "Billing", DEPARTMENTS, reason="refund", user_id="u1"
        )
        assert started.kind == "started" and "billing" in started.spoken
        await service.advance("call-1", "initiated", call_sid="CA1")
        await service.advance("call-1", "ringing")
        await service.advance("call-1", "connected")
        seen = [await events.get(timeout=2) for _ in range(4)]
    statuses = [m.data["status"] for m in seen if m is not None]
    assert statuses == ["requested", "initiated", "ringing", "connected"]
    raw = json.loads(await redis_store.redis.get(Keys.transfer("call-1")))
    assert raw["department"] == "billing" and raw["extension"] == "2003"
    assert raw["reason"] == "refund" and raw["call_sid"] == "CA1" and raw["failure"] is None
    assert [h["status"] for h in raw["history"]] == statuses
    assert all(h["at"].endswith("+00:00") for h in raw["history"])
    assert raw["updated_at"] == raw["history"][-1]["at"]
    assert seen[-1] is not None and seen[-1].data == raw


async def test_a_second_request_while_under_way_changes_nothing(redis_store: RedisStore) -> None:
    service = TransferService(redis_store)
    await service.start("call-1", "support", DEPARTMENTS)
    await service.advance("call-1", "initiated")
    before = await redis_store.redis.get(Keys.transfer("call-1"))
    again = await service.start("call-1", "sales", DEPARTMENTS)
    assert again.kind == "under_way" and "already connecting you to support" in again.spoken
    assert await redis_store.redis.get(Keys.transfer("call-1")) == before


async def test_after_a_failed_transfer_a_new_one_can_start(redis_store: RedisStore) -> None:
    service = TransferService(redis_store)
    await service.start("call-1", "support", DEPARTMENTS)
    failed = await service.advance("call-1", "failed", failure="no-answer")
    assert failed.failure == "no-answer"
    again = await service.start("call-1", "sales", DEPARTMENTS)
    assert again.kind == "started" and again.record is not None
    assert (again.record.status, again.record.failure) == ("requested", None)


async def test_a_start_carries_how_many_agents_are_ready(redis_store: RedisStore) -> None:
    busy = [DepartmentInfo("support", "2001", agents_ready=0)]
    started = await TransferService(redis_store).start("call-1", "support", busy)
    assert started.kind == "started" and started.agents_ready == 0
    unknown = await TransferService(redis_store).start("call-2", "support", DEPARTMENTS)
    assert unknown.agents_ready is None  # departments listed without asking Redis


async def test_unknown_department_names_the_real_ones(redis_store: RedisStore) -> None:
    started = await TransferService(redis_store).start("call-1", "marketing", DEPARTMENTS)
    assert started.kind == "unknown_department"
    assert started.spoken == (
        "There is no marketing department. I can connect you to billing, sales or support."
    )
    assert await redis_store.get_transfer("call-1") is None


@pytest.mark.parametrize(
    ("steps", "bad"),
    [([], "connected"), (["initiated", "connected"], "failed"), (["failed"], "ringing")],
)
async def test_impossible_steps_are_refused(
    redis_store: RedisStore, steps: list[str], bad: str
) -> None:
    service = TransferService(redis_store)
    await service.start("call-1", "support", DEPARTMENTS)
    for step in steps:
        await service.advance("call-1", step)  # type: ignore[arg-type]
    before = await redis_store.redis.get(Keys.transfer("call-1"))
    with pytest.raises(TransferError):
        await service.advance("call-1", bad)  # type: ignore[arg-type]
    assert await redis_store.redis.get(Keys.transfer("call-1")) == before


async def test_no_transfer_cannot_advance(redis_store: RedisStore) -> None:
    with pytest.raises(TransferError, match="no transfer"):
        await TransferService(redis_store).advance("nobody", "failed")


async def test_racing_requests_start_exactly_one(redis_store: RedisStore) -> None:
    service = TransferService(redis_store)
    results = await asyncio.gather(
        *(service.start("call-1", name, DEPARTMENTS) for name in ["support", "sales"] * 4)
    )
    assert [r.kind for r in results].count("started") == 1
