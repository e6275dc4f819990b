"""The live channel: a dashboard on one instance sees the turns of another (shared Redis)."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from tests.conftest import LiveServer, connect, session_auth
from tests.conftest import test_settings as settings_for
from tests.fakes.backends import redis_url
from tests.monitor.conftest import token_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def _events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """Server-Sent Events as ``(event, data)``; comment lines are skipped."""
    event, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            yield event, json.loads(data)
            event, data = "message", ""


async def _subscribers() -> int:
    """Subscribers of the live channel on the shared Redis."""
    client = aioredis.Redis.from_url(redis_url())
    try:
        ((_channel, count),) = await client.pubsub_numsub("timings:live")
        return int(count)
    finally:
        await client.aclose()


def _redis_problem(url: str) -> str | None:
    async def ping() -> None:
        client = aioredis.Redis.from_url(url, socket_connect_timeout=2)
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(ping())
    except (RedisError, OSError) as error:
        return f"Redis at {url} did not answer ({type(error).__name__})"
    return None


def _forget_failed_sign_ins(url: str) -> None:
    """Drop sign-in failure counters other tests left on the shared Redis database.

    Tests that try wrong PINs against this database count toward the PIN-only budget that
    every sign-in here shares; left over, they would lock these instances out.
    """
    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter("authfail:*"):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture(scope="module")
def two_instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LiveServer]]:
    """Two app instances (own databases, own processes' state) sharing one real Redis."""
    url = redis_url()
    if (problem := _redis_problem(url)) is not None:
        pytest.skip(f"{problem}; set CONVONET_TEST_REDIS_URL or start the server")
    _forget_failed_sign_ins(url)
    servers = [
        LiveServer(settings_for(tmp_path_factory.mktemp(name), redis_url=url, tools_enabled=False))
        for name in ("instance_a", "instance_b")
    ]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


async def test_a_turn_on_instance_b_reaches_a_dashboard_on_instance_a(
    two_instances: list[LiveServer],
) -> None:
    a, b = two_instances
    listening = await _subscribers()
    headers = {"Authorization": f"Bearer {token_for(a, ['supervisor'])}"}
    started = await connect(b.url)
    session_id, auth = str(started["session_id"]), session_auth(started)
    async with (
        httpx.AsyncClient(base_url=a.url, headers=headers, timeout=15) as dashboard,
        dashboard.stream("GET", "/agent-monitor/api/live") as live,
        httpx.AsyncClient(base_url=b.url, headers=auth, timeout=30) as caller,
    ):
        assert live.status_code == 200
        assert live.headers["content-type"].startswith("text/event-stream")
        events = _events(live)
        event, ready = await anext(events)
        assert event == "ready" and ready["channel"] == "timings:live"
        assert ready["instance"] == a.runtime.monitor.instance
        assert await _subscribers() == listening + 1

        answer = await caller.post(
            "/agent/process", json={"text": "what time is it", "session_id": session_id}
        )
        assert answer.status_code == 200, answer.text
        async with asyncio.timeout(5):
            async for event, turn in events:
                if event == "turn" and turn["session_id"] == session_id:
                    break
    assert turn["kind"] == "text" and turn["user_text"] == "what time is it"
    assert turn["bot_text"] == answer.json()["response"]
    assert turn["instance"] == b.runtime.monitor.instance != a.runtime.monitor.instance
    # The dashboard left: its Redis subscription is released.
    for _ in range(100):
        if (now := await _subscribers()) == listening:
            break
        await asyncio.sleep(0.05)
    assert now == listening, "the closed stream still holds its Redis subscription"
