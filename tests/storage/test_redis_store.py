"""The Redis store on fakeredis and on a real server: sessions, tokens, lockouts, pub/sub."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakeredis import FakeServer
from pydantic import BaseModel

from convonet.errors import InvalidInputError, StorageError
from convonet.settings import Settings
from convonet.storage.redis import CallSessionRecord, Keys, RedisStore, create_redis
from tests.fakes.backends import storage_settings

WINDOW = 900.0  # 15 minutes
LIMIT = 5


class Clock:
    """A settable wall clock for failure-window tests."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _record(session_id: str = "a" * 32, **fields: object) -> CallSessionRecord:
    values: dict[str, object] = {
        "session_id": session_id,
        "bot": "assistant",
        "llm": "offline",
        "channel": "websocket",
        "user_id": "u1",
        "user_name": "Ann",
        "roles": ["user"],
        "team_ids": ["t1", "t2"],
        "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    values.update(fields)
    return CallSessionRecord.model_validate(values)


def test_key_names() -> None:
    assert Keys.session("abc") == "session:abc"
    assert Keys.ws_token("tok") == "wstoken:tok"
    assert Keys.auth_failures("ip", "::1") == "authfail:ip:::1"
    assert Keys.transfer("abc") == "transfer:abc"
    assert Keys.callcenter_customer("2001", "CA1") == "callcenter:customer:2001:CA1"
    assert Keys.timings("abc") == "timing:abc"
    long_key = Keys.auth_failures("user", "x" * 10_000)
    assert long_key.startswith("authfail:user:sha256:") and len(long_key) < 100
    for scope, key in [("", "k"), ("IP", "k"), ("ip:x", "k"), ("ip", "")]:
        with pytest.raises(InvalidInputError):
            Keys.auth_failures(scope, key)


async def test_session_round_trip_and_ttl(redis_store: RedisStore) -> None:
    record = _record()
    await redis_store.save_session(record, ttl_secs=60)
    assert await redis_store.get_session(record.session_id) == record
    ttl = await redis_store.redis.pttl(Keys.session(record.session_id))
    assert 55_000 < ttl <= 60_000
    assert await redis_store.get_session("b" * 32) is None
    for bad_id in ["", "../etc", "x" * 10_000, "a b"]:
        assert await redis_store.get_session(bad_id) is None

    short = _record("c" * 32)
    await redis_store.save_session(short, ttl_secs=0.15)
    assert await redis_store.touch_session(short.session_id, ttl_secs=0.3)
    await asyncio.sleep(0.2)
    assert await redis_store.get_session(short.session_id) == short  # touched: still alive
    await asyncio.sleep(0.2)
    assert await redis_store.get_session(short.session_id) is None
    assert not await redis_store.touch_session(short.session_id, ttl_secs=1)

    assert await redis_store.delete_session(record.session_id)
    assert not await redis_store.delete_session(record.session_id)
    assert await redis_store.get_session(record.session_id) is None
    with pytest.raises(InvalidInputError):
        await redis_store.save_session(record, ttl_secs=0)


async def test_unreadable_session_is_treated_as_missing(redis_store: RedisStore) -> None:
    await redis_store.redis.set(Keys.session("d" * 32), '{"session_id": 1}')
    assert await redis_store.get_session("d" * 32) is None


async def test_ws_token_is_single_use(redis_store: RedisStore) -> None:
    token = await redis_store.issue_ws_token("s1", ttl_secs=60)
    other = await redis_store.issue_ws_token("s1", ttl_secs=60)
    assert token != other and len(token) >= 40
    assert await redis_store.consume_ws_token(token) == "s1"
    assert await redis_store.consume_ws_token(token) is None
    assert await redis_store.consume_ws_token(other) == "s1"
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in [forged, "", "x", "*" * 43, "a" * 10_000, token + "\n"]:
        assert await redis_store.consume_ws_token(bad) is None


async def test_ws_token_expires(redis_store: RedisStore) -> None:
    token = await redis_store.issue_ws_token("s1", ttl_secs=0.1)
    await asyncio.sleep(0.2)
    assert await redis_store.consume_ws_token(token) is None


async def test_concurrent_consumers_only_one_wins(redis_store: RedisStore) -> None:
    token = await redis_store.issue_ws_token("s-race", ttl_secs=60)
    results = await asyncio.gather(*(redis_store.consume_ws_token(token) for _ in range(25)))
    assert results.count("s-race") == 1 and results.count(None) == 24


async def test_failure_counter_and_lockout(redis_settings: Settings) -> None:
    clock = Clock()
    store = RedisStore(create_redis(redis_settings), clock=clock)
    try:
        for attempt in range(1, LIMIT):
            assert await store.record_failure("ip", "10.0.0.1", WINDOW) == attempt
            assert await store.lockout_remaining("ip", "10.0.0.1", LIMIT, WINDOW) == 0
            clock.now += 10
        assert await store.record_failure("ip", "10.0.0.1", WINDOW) == LIMIT
        # Locked until the first failure (40 s ago) leaves the window.
        assert await store.lockout_remaining("ip", "10.0.0.1", LIMIT, WINDOW) == WINDOW - 40
        assert await store.failures("ip", "10.0.0.1") == LIMIT
        assert await store.failures("ip", "10.0.0.1", WINDOW) == LIMIT
        # Other keys and scopes are unaffected.
        assert await store.lockout_remaining("ip", "10.0.0.2", LIMIT, WINDOW) == 0
        assert await store.lockout_remaining("user", "10.0.0.1", LIMIT, WINDOW) == 0
        clock.now += WINDOW - 40 - 1
        assert await store.lockout_remaining("ip", "10.0.0.1", LIMIT, WINDOW) == 1
        clock.now += 1.5  # the oldest failure is out of the window: 4 remain
        assert await store.lockout_remaining("ip", "10.0.0.1", LIMIT, WINDOW) == 0
        assert await store.failures("ip", "10.0.0.1", WINDOW) == LIMIT - 1
        assert await store.record_failure("ip", "10.0.0.1", WINDOW) == LIMIT  # old one pruned
        clock.now += WINDOW + 1
        assert await store.lockout_remaining("ip", "10.0.0.1", LIMIT, WINDOW) == 0
    finally:
        await store.aclose()


async def test_reset_failures_and_key_expiry(redis_store: RedisStore) -> None:
    for _ in range(3):
        await redis_store.record_failure("user", "ann@example.com", WINDOW)
    ttl = await redis_store.redis.pttl(Keys.auth_failures("user", "ann@example.com"))
    assert 0 < ttl <= WINDOW * 1000  # counters never outlive their window
    await redis_store.reset_failures("user", "ann@example.com")
    assert await redis_store.failures("user", "ann@example.com") == 0
    huge = "x" * 10_000
    assert await redis_store.record_failure("user", huge, WINDOW) == 1
    assert await redis_store.record_failure("user", huge, WINDOW) == 2
    assert await redis_store.failures("user", huge + "y") == 0


async def test_concurrent_failures_are_all_counted(redis_store: RedisStore) -> None:
    counts = await asyncio.gather(
        *(redis_store.record_failure("phone", "+15550001111", WINDOW) for _ in range(20))
    )
    assert sorted(counts) == list(range(1, 21))


class Event(BaseModel):
    kind: str
    value: int


async def test_pub_sub_round_trip(redis_store: RedisStore) -> None:
    async with redis_store.subscribe("events:a", "events:b") as subscription:
        assert await redis_store.publish("events:a", {"kind": "hello", "value": 1}) == 1
        assert await redis_store.publish("events:b", Event(kind="model", value=2)) == 1
        await redis_store.redis.publish("events:a", "not json")  # skipped, with a warning
        await redis_store.publish("events:a", {"at": datetime(2026, 1, 1, tzinfo=UTC)})
        first = await subscription.get(timeout=2)
        second = await subscription.get(timeout=2)
        third = await subscription.get(timeout=2)
        assert first is not None and (first.channel, first.data) == (
            "events:a",
            {"kind": "hello", "value": 1},
        )
        assert second is not None and second.channel == "events:b"
        assert Event.model_validate(second.data) == Event(kind="model", value=2)
        assert third is not None and third.data == {"at": "2026-01-01 00:00:00+00:00"}
        assert await subscription.get(timeout=0.1) is None
        await redis_store.publish("events:b", {"n": 3})
        async for message in subscription:
            assert message.data == {"n": 3}
            break
    assert await redis_store.publish("events:a", {"kind": "late"}) == 0  # unsubscribed
    with pytest.raises(StorageError):
        async with redis_store.subscribe():
            pass


async def test_embedded_redis_clients_share_only_an_explicit_server(tmp_path: Path) -> None:
    settings = storage_settings(tmp_path)
    server = FakeServer()
    one, two = (
        create_redis(settings, fake_server=server),
        create_redis(settings, fake_server=server),
    )
    apart = create_redis(settings)
    try:
        await one.set("k", "v")
        assert await two.get("k") == "v"
        assert await apart.get("k") is None
    finally:
        for client in (one, two, apart):
            await client.aclose()
