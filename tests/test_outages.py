"""Redis and PostgreSQL outages on a running server: refused with a reason, survived, recovered.

One real server (uvicorn in a thread, with its MCP tool processes) uses a private
``redis-server`` started for this module (killed mid-call and started again on the same port)
and the shared PostgreSQL through a :class:`~tests.fakes.tcp_proxy.TcpProxy` (cut and
restored: the shared server itself must never be stopped). Each outage is checked from the
outside: sign-ins answer 503 with a reason, a live call keeps talking, a tool call says the
data is unavailable, nothing is lost or written twice, and the server recovers by itself.
"""

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from convonet.bench.turns import open_call
from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import Database
from convonet.storage.outage import DATA_UNAVAILABLE
from convonet.storage.redis import TurnStore
from convonet.storage.seed import DEMO_PIN, seed_demo
from tests.conftest import LiveServer, free_port
from tests.conftest import test_settings as isolated_settings
from tests.fakes.backends import postgres_url
from tests.fakes.speech import silence, synthesize
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.voice_client import Received, VoiceClient

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

RECOVERY_LIMIT_SECS = 30.0  # generous: the claim is "by itself, within seconds"


class RedisProcess:
    """A private ``redis-server`` on a free port, killed and started again at will."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its URL (database 0)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (no persistence: a restarted server is empty, as after a crash)."""
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self._workdir)]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True
            ).stdout.strip()
            != b"PONG"
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        """Kill it hard (SIGKILL): every connection drops at once."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None


@pytest.fixture(scope="module")
def redis_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    process = RedisProcess(tmp_path_factory.mktemp("redis"))
    process.start()
    yield process
    process.kill()


async def _postgres(url: str, sql: str) -> None:
    engine = create_async_engine(url, connect_args={"timeout": 3})
    try:
        async with engine.begin() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def postgres_proxy() -> Iterator[tuple[TcpProxy, str]]:
    """A proxy to the shared PostgreSQL and a fresh schema (skips without the server)."""
    url = postgres_url()
    schema = f"outage_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_postgres(url, f'CREATE SCHEMA "{schema}"'))
    except (OSError, SQLAlchemyError) as error:
        pytest.skip(f"PostgreSQL at {url} did not answer ({error})")
    target = urlsplit(url.replace("+asyncpg", ""))
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432).start()
    yield proxy, schema
    proxy.stop()
    asyncio.run(_postgres(url, f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    redis_process: RedisProcess,
    postgres_proxy: tuple[TcpProxy, str],
) -> Iterator[LiveServer]:
    proxy, schema = postgres_proxy
    direct = postgres_url()
    through_proxy = direct.replace(f":{urlsplit(direct).port or 5432}/", f":{proxy.port}/")
    settings = isolated_settings(
        tmp_path_factory.mktemp("outages"),
        redis_url=redis_process.url,
        database_url=through_proxy,
        database_schema=schema,
        auth_max_failures=1000,
        active_user_cache_secs=600.0,
    )
    asyncio.run(_migrate_and_seed(settings.model_copy(update={"database_url": direct})))
    live = LiveServer(settings)
    live.start()
    yield live
    live.stop()


async def _migrate_and_seed(settings: Settings) -> None:
    await migrate.upgrade(settings)
    async with Database.from_settings(settings) as db:
        await seed_demo(db, settings)


async def _connect(url: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return await http.post("/api/connect", json={"pin": DEMO_PIN})


async def _recovery_secs(url: str) -> float:
    """Seconds until a sign-in succeeds again."""
    started = time.monotonic()
    while (response := await _connect(url)).status_code != 200:
        assert response.status_code == 503, response.text
        assert time.monotonic() - started < RECOVERY_LIMIT_SECS, "did not recover by itself"
        await asyncio.sleep(0.2)
    return time.monotonic() - started


def _assert_unavailable(response: httpx.Response, store: str) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    detail = response.json()["detail"]
    assert store in detail and "unavailable" in detail, detail


def _spoke(times: int):  # type: ignore[no-untyped-def]
    def check(received: Received) -> bool:
        return len(received.rtvi("bot-stopped-speaking")) >= times

    return check


async def test_redis_dies_mid_call_the_call_talks_on_and_everything_recovers(
    server: LiveServer, redis_process: RedisProcess
) -> None:
    recorder = server.runtime.monitor
    async with VoiceClient(await open_call(server.url, DEMO_PIN, llm="offline")) as caller:
        await caller.wait_for(_spoke(1), timeout=30)  # the greeting
        redis_process.kill()  # mid-call

        _assert_unavailable(await _connect(server.url), "Redis")
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            login = await http.post(
                "/api/auth/login", json={"email": "demo@convonet.local", "password": "x"}
            )
        _assert_unavailable(login, "Redis")

        # The live call keeps talking: a whole turn, heard and answered, during the outage.
        await caller.speak(synthesize("What time is it?") + silence(1.5))
        await caller.wait_for(_spoke(2), timeout=40)
        assert caller.received.texts("user-transcription")
        await asyncio.sleep(0.5)  # the turn's record is made when the bot stops speaking
        assert recorder.buffer.pending >= 1  # kept in memory, not lost

        redis_process.start()  # same port, empty (as after a crash)
        recovered = await _recovery_secs(server.url)

    await asyncio.wait_for(recorder.flush(), 15)  # the buffered records reach the new Redis
    check = aioredis.Redis.from_url(redis_process.url, decode_responses=True)
    try:
        written = (await TurnStore(check).recent_turns(50)).items
    finally:
        await check.aclose()
    assert [turn for _, turn in written if turn.kind == "voice"]  # made during the outage
    assert recorder.dropped == 0 and recorder.retries >= 1
    async with httpx.AsyncClient(base_url=server.url) as http:
        metrics = (await http.get("/metrics")).text
    assert "convonet_monitor_records_dropped_total 0.0" in metrics
    print(f"\nRedis outage: sign-ins back {recovered:.1f} s after Redis restarted")


async def _turn(url: str, started: dict[str, str], said: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        response = await http.post(
            "/agent/process",
            json={"text": said, "session_id": started["session_id"]},
            headers={"Authorization": f"Bearer {started['session_token']}"},
        )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _todos_titled(schema: str, title: str) -> int:
    engine = create_async_engine(postgres_url(), connect_args={"timeout": 3})
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                text(f'SELECT count(*) FROM "{schema}".todos WHERE lower(title) LIKE :t'),
                {"t": f"%{title}%"},
            )
    finally:
        await engine.dispose()
    return int(count or 0)


@pytest.fixture
async def started_text_session(server: LiveServer) -> AsyncIterator[dict[str, str]]:
    response = await _connect(server.url)
    assert response.status_code == 200, response.text
    yield dict(response.json())


async def test_database_outage_the_caller_hears_it_and_nothing_is_written_twice(
    server: LiveServer,
    postgres_proxy: tuple[TcpProxy, str],
    started_text_session: dict[str, str],
) -> None:
    proxy, schema = postgres_proxy
    title = f"oat milk {os.getpid()}"
    asked = f"add {title} to my to-do list"
    before = await _turn(server.url, started_text_session, "what's on my to-do list")
    assert [c["outcome"] for c in before["tool_calls"]] == ["ok"]  # type: ignore[index]

    proxy.cut()
    try:
        _assert_unavailable(await _connect(server.url), "database")
        during = await _turn(server.url, started_text_session, asked)
    finally:
        proxy.restore()
    assert DATA_UNAVAILABLE in str(during["response"]), during["response"]
    assert [c["outcome"] for c in during["tool_calls"]] == ["error"]  # type: ignore[index]

    recovered = await _recovery_secs(server.url)
    assert await _todos_titled(schema, title) == 0  # the failed call wrote nothing
    after = await _turn(server.url, started_text_session, asked)
    assert [c["outcome"] for c in after["tool_calls"]] == ["ok"], after  # type: ignore[index]
    assert await _todos_titled(schema, title) == 1  # written once, by the call that worked
    print(f"\nPostgreSQL outage: sign-ins back {recovered:.1f} s after it returned")
