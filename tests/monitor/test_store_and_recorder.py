"""Turn records in Redis (both backends) and the background recorder that writes them."""

import asyncio
import time
from collections.abc import Sequence

import pytest

from convonet.errors import InvalidInputError
from convonet.monitor.recorder import TurnRecorder
from convonet.storage.redis import Keys, RedisStore
from convonet.turns.record import Turn, TurnTimes


def _turn(session_id: str, index: int, v2v_ms: float = 500.0) -> Turn:
    start = time.time()
    times = TurnTimes(
        user_stopped_at=start, agent_start_at=start + 0.1, bot_started_at=start + v2v_ms / 1000
    )
    return Turn(session_id=session_id, kind="voice", index=index, times=times).with_stages()


async def test_turns_are_listed_per_session_and_paged_newest_first(
    redis_store: RedisStore,
) -> None:
    turns = [_turn("a", 1), _turn("b", 1), _turn("a", 2)]
    async with redis_store.subscribe(Keys.timing_channel()) as subscription:
        await redis_store.save_turns(turns, ttl_secs=60)
        published = [await subscription.get(timeout=2) for _ in turns]

    assert [m.data["turn_id"] for m in published if m is not None] == [t.turn_id for t in turns]
    assert [t.index for t in await redis_store.session_turns("a")] == [1, 2]
    first = await redis_store.recent_turns(2)
    assert [turn.turn_id for _, turn in first.items] == [turns[2].turn_id, turns[1].turn_id]
    assert not first.exhausted and first.last_id == first.items[-1][0]
    rest = await redis_store.recent_turns(2, before=first.last_id)
    assert [turn.turn_id for _, turn in rest.items] == [turns[0].turn_id] and rest.exhausted
    for key in (Keys.timings("a"), Keys.timing_stream()):
        assert 0 < await redis_store.redis.pttl(key) <= 60_000
    assert (await redis_store.session_turns("a"))[0].stages["voice_to_voice_ms"] == 500.0


async def test_unreadable_records_and_bad_cursors(redis_store: RedisStore) -> None:
    await redis_store.redis.rpush(Keys.timings("a"), "not json")
    await redis_store.redis.xadd(Keys.timing_stream(), {"turn": "{}"})
    await redis_store.save_turns([_turn("a", 1)])

    assert len(await redis_store.session_turns("a")) == 1
    page = await redis_store.recent_turns(10)
    assert len(page.items) == 1 and page.exhausted
    with pytest.raises(InvalidInputError):
        await redis_store.recent_turns(10, before="0) or 1")
    assert await redis_store.session_turns("../etc") == []


class StalledStore(RedisStore):
    """A store whose writes wait until ``release`` is set, counting the batches."""

    def __init__(self, store: RedisStore) -> None:
        super().__init__(store.redis)
        self.release = asyncio.Event()
        self.batches: list[int] = []

    async def save_turns(self, turns: Sequence[Turn], **kwargs: float) -> None:
        await self.release.wait()
        self.batches.append(len(turns))
        await super().save_turns(turns)


async def test_recording_never_waits_for_redis_and_writes_in_batches(
    redis_store: RedisStore,
) -> None:
    store = StalledStore(redis_store)
    recorder = TurnRecorder(store, linger_secs=0.01)
    started = time.perf_counter()
    for index in range(300):
        recorder.turn_ended(_turn("s", index))
    elapsed = time.perf_counter() - started
    assert elapsed < 0.25, f"record() took {elapsed * 1000 / 300:.2f} ms per turn"

    store.release.set()
    await asyncio.wait_for(recorder.flush(), 5)
    await recorder.aclose()
    assert sum(store.batches) == 300
    assert len(store.batches) <= 3, store.batches  # 200 per round trip at most
    assert len(await redis_store.session_turns("s")) == 300


async def test_a_write_that_meets_an_outage_is_kept_and_retried(redis_store: RedisStore) -> None:
    class Failing(RedisStore):
        calls = 0

        async def save_turns(self, turns: Sequence[Turn], **kwargs: float) -> None:
            type(self).calls += 1
            if type(self).calls <= 2:
                raise ConnectionError("redis went away")
            await super().save_turns(turns)

    recorder = TurnRecorder(Failing(redis_store.redis), linger_secs=0)
    recorder.turn_ended(_turn("during", 1))
    recorder.turn_ended(_turn("during", 2))
    await asyncio.wait_for(recorder.flush(), 5)
    recorder.turn_ended(_turn("after", 1))
    await asyncio.wait_for(recorder.flush(), 5)
    await recorder.aclose()
    assert recorder.retries == 2 and recorder.dropped == 0
    assert [t.index for t in await redis_store.session_turns("during")] == [1, 2]  # in order
    assert len(await redis_store.session_turns("after")) == 1


async def test_records_redis_refuses_as_data_are_dropped_and_counted(
    redis_store: RedisStore,
) -> None:
    class Refusing(RedisStore):
        async def save_turns(self, turns: Sequence[Turn], **kwargs: float) -> None:
            raise ValueError("not storable")

    recorder = TurnRecorder(Refusing(redis_store.redis), linger_secs=0)
    recorder.turn_ended(_turn("bad", 1))
    await asyncio.wait_for(recorder.flush(), 2)  # not retried forever
    await recorder.aclose()
    assert recorder.dropped == 1


async def test_a_full_queue_drops_new_records_instead_of_growing(redis_store: RedisStore) -> None:
    store = StalledStore(redis_store)
    recorder = TurnRecorder(store, queue_max=5, linger_secs=0)
    for index in range(8):
        recorder.turn_ended(_turn("s", index))
    assert recorder.dropped == 3
    store.release.set()
    await recorder.aclose()
    assert [t.index for t in await redis_store.session_turns("s")] == [0, 1, 2, 3, 4]
