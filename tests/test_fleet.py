"""Three server processes behind Debian's nginx, as one system: scale-out and outages.

The module starts, once, three ``convonet serve`` processes on loopback ports (the same
secrets, one fresh schema of the test PostgreSQL, a ``redis-server`` of their own) and nginx
in front of them, configured from ``deploy/nginx/convonet.conf.template``: round robin,
WebSocket upgrade, no stickiness. nginx's access log names the process (``upstream=``) that
served each request; a call's process is the one whose ``/metrics`` counts it.

Redis is a private ``redis-server`` because the tests kill it (the shared one must never
stop); PostgreSQL is reached through a :class:`~tests.fakes.tcp_proxy.TcpProxy`, which the
tests cut and restore. Everything goes through nginx unless a test needs one process:

* scale-out: a caller signs in on one process and streams on another; the Agent Monitor's
  live feed of one process shows the turns of all three; a caller asks for a person on one
  process, which places the call to the agent, and Twilio's status callback for that call,
  served by another process, changes that transfer;
* Redis dies mid-call and comes back (empty): sign-ins get 503 with the reason, the call
  keeps talking, its turn record waits in memory and is written after recovery;
* PostgreSQL is cut: sign-ins get 503, a tool call tells the caller the data is unavailable
  and writes nothing; after recovery the same request writes once.
"""

import asyncio
import json
import re
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import redis.asyncio as aioredis
import websockets
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from convonet.bench.servers import Fleet, ServerProcess, free_port
from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import Database
from convonet.storage.outage import DATA_UNAVAILABLE
from convonet.storage.redis import TurnStore
from convonet.storage.seed import DEMO_EMAIL, DEMO_PASSWORD, DEMO_PIN, seed_demo
from convonet.transports.twilio_twiml import OUTAGE_SPOKEN
from convonet.transports.websocket import CLOSE_NOT_READY
from tests.fakes.backends import postgres_url
from tests.fakes.nginx import Nginx
from tests.fakes.redis_process import RedisProcess
from tests.fakes.speech import silence, synthesize
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.threaded import ACCOUNT, FakesInThread
from tests.fakes.twilio_stream import Call, TwilioWebhooks
from tests.fakes.voice_client import Received, VoiceClient

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="needs Debian's nginx"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

PROCESSES = 3
TWILIO_TOKEN = "fleet-twilio-auth-token"
SECRETS = {"JWT_SECRET": "fleet-test-jwt-secret-0123456789abcdefgh", "PIN_HASH_SECRET": "pins"}
RECOVERY_LIMIT_SECS = 30.0  # generous: the claim is "by itself, within seconds"


@dataclass
class System:
    """The processes (the last one runs the MCP tools), nginx, Redis and the database proxy."""

    servers: list[ServerProcess]
    nginx: Nginx
    redis: RedisProcess
    database: TcpProxy
    schema: str

    @property
    def tools(self) -> ServerProcess:
        """The process with MCP tool servers (text turns that call tools go there)."""
        return self.servers[-1]

    @property
    def url(self) -> str:
        """Nginx's base URL: what callers use."""
        return self.nginx.url

    def served(self, method: str, path: str) -> list[str]:
        """The upstream address of every request ``method path*`` nginx logged, in order."""
        return self.nginx.served(method, path)


def _port(upstream: str) -> int:
    return int(upstream.rsplit(":", 1)[1])


async def _logged(system: System, method: str, path: str, count: int) -> list[str]:
    """:meth:`System.served` once it lists ``count`` requests (nginx logs after answering)."""
    async with asyncio.timeout(5):
        while len(found := system.served(method, path)) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    return found


# --- starting the system --------------------------------------------------------------------


async def _postgres(sql: str) -> None:
    engine = create_async_engine(postgres_url(), connect_args={"timeout": 3})
    try:
        async with engine.begin() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


async def _prepare(schema: str) -> None:
    await _postgres(f'CREATE SCHEMA "{schema}"')
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        environment="test",
        database_url=postgres_url(),
        database_schema=schema,
        pin_hash_secret=SECRETS["PIN_HASH_SECRET"],
        jwt_secret=SECRETS["JWT_SECRET"],
    )
    await migrate.upgrade(settings)
    async with Database.from_settings(settings) as db:
        await seed_demo(db, settings)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    schema = f"fleet_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_prepare(schema))
    except (OSError, SQLAlchemyError) as error:
        pytest.skip(f"needs the test PostgreSQL ({error})")
    redis = RedisProcess(tmp_path_factory.mktemp("redis"))
    redis.start()
    target = urlsplit(postgres_url().replace("+asyncpg", ""))
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432).start()
    through_proxy = postgres_url().replace(f":{target.port or 5432}/", f":{proxy.port}/")
    # nginx's port is chosen first: it is the processes' public URL (Twilio signs against it).
    nginx_port = free_port()
    fakes = FakesInThread(TWILIO_TOKEN).__enter__()
    environment = {
        **SECRETS,
        "REDIS_URL": redis.url,
        "DATABASE_URL": through_proxy,
        "DATABASE_SCHEMA": schema,
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "TOOLS_ENABLED": "false",
        "PUBLIC_URL": f"http://127.0.0.1:{nginx_port}",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_API_BASE_URL": fakes.twilio.base_url,
        "TWILIO_CALLER_ID": "+15550009999",
        "FUSIONPBX_SIP_DOMAIN": "pbx.example.com",
    }
    # Two plain processes and one with the MCP tool servers (started together).
    fleets = [Fleet(PROCESSES - 1, environment), Fleet(1, {**environment, "TOOLS_ENABLED": "1"})]
    nginx: Nginx | None = None
    try:
        with ThreadPoolExecutor(len(fleets)) as pool:
            for started in [pool.submit(fleet.start) for fleet in fleets]:
                started.result()
        servers = [server for fleet in fleets for server in fleet.servers]
        ports = [server.port for server in servers]
        nginx = Nginx(tmp_path_factory.mktemp("nginx"), ports, port=nginx_port)
        yield System(servers, nginx.start(), redis, proxy, schema)
    finally:
        if nginx is not None:
            nginx.stop()
        with ThreadPoolExecutor(len(fleets)) as pool:  # the processes drain in parallel
            list(pool.map(Fleet.stop, fleets))
        proxy.stop()
        redis.kill()
        fakes.__exit__()
        asyncio.run(_postgres(f'DROP SCHEMA "{schema}" CASCADE'))


# --- helpers --------------------------------------------------------------------------------


async def _connect(url: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return await http.post("/api/connect", json={"pin": DEMO_PIN, "llm": "offline"})


async def _signed_in(url: str) -> dict[str, str]:
    response = await _connect(url)
    assert response.status_code == 200, response.text
    return dict(response.json())


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


async def _metrics(server: ServerProcess) -> str:
    async with httpx.AsyncClient(timeout=10) as http:
        return (await http.get(f"{server.url}/metrics")).text


async def _call_process(system: System) -> ServerProcess:
    """The process running the (one) websocket call now."""
    running = [
        server
        for server in system.servers
        if 'convonet_active_sessions{channel="websocket"} 1.0' in await _metrics(server)
    ]
    assert len(running) == 1, [server.port for server in running]
    return running[0]


def _gauge(metrics: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", metrics, re.MULTILINE)
    assert found is not None, name
    return float(found[1])


async def _next_request_avoids(system: System, port: int) -> None:
    """Send /healthz through nginx until its next request goes to a process other than ``port``.

    nginx's round robin (one worker, equal weights) cycles through the processes in a fixed
    order, which its last requests reveal.
    """
    before = len(system.served("GET", "/healthz"))
    async with httpx.AsyncClient(base_url=system.url, timeout=10) as http:
        for _ in range(PROCESSES):
            await http.get("/healthz")
        cycle = (await _logged(system, "GET", "/healthz", before + PROCESSES))[-PROCESSES:]
        if _port(cycle[0]) == port:
            await http.get("/healthz")  # the next request would go there: use that turn up


def _transfers(received: Received) -> list[str]:
    return [
        m["data"]["status"]
        for m in received.rtvi("server-message")
        if isinstance(m.get("data"), dict) and m["data"].get("type") == "transfer"
    ]


def _spoke(times: int):  # type: ignore[no-untyped-def]
    def check(received: Received) -> bool:
        return len(received.rtvi("bot-stopped-speaking")) >= times

    return check


def _answered(word: str):  # type: ignore[no-untyped-def]
    """The caller said ``word`` (as transcribed) and the bot then spoke and stopped."""

    def check(received: Received) -> bool:
        heard = [
            at
            for at, m in received.messages
            if m.get("type") == "user-transcription"
            and word in str(m.get("data", {}).get("text", "")).lower()
        ]
        return bool(heard) and any(
            at > heard[0] and m.get("type") == "bot-stopped-speaking" for at, m in received.messages
        )

    return check


async def _turn(url: str, started: dict[str, str], said: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        response = await http.post(
            "/agent/process",
            json={"text": said, "session_id": started["session_id"]},
            headers={"Authorization": f"Bearer {started['session_token']}"},
        )
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- scale-out ------------------------------------------------------------------------------


async def _feed(url: str, token: str, into: list[dict[str, Any]]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=url, timeout=None) as http,
        http.stream("GET", "/agent-monitor/api/live", headers=headers) as stream,
    ):
        event = ""
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                into.append({"event": event, **json.loads(line.removeprefix("data: "))})


@pytest.fixture
async def supervisor_token(system: System) -> AsyncIterator[str]:
    async with httpx.AsyncClient(base_url=system.url, timeout=30) as http:
        login = await http.post(
            "/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
    assert login.status_code == 200, login.text
    yield login.json()["access_token"]


async def test_the_live_feed_of_any_process_shows_the_turns_of_all(
    system: System, supervisor_token: str
) -> None:
    session = await _signed_in(system.url)
    events: list[dict[str, Any]] = []
    feed = asyncio.create_task(_feed(system.url, supervisor_token, events))
    try:
        async with asyncio.timeout(20):
            while not events:  # noqa: ASYNC110 - the feed task fills the list
                await asyncio.sleep(0.05)
        before = len(system.served("POST", "/agent/process"))
        for said in ("hello", "what can you do", "thank you"):  # round robin: one per process
            await _turn(system.url, session, said)
        async with asyncio.timeout(20):
            while len([e for e in events if e["event"] == "turn"]) < PROCESSES:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        feed.cancel()
        await asyncio.gather(feed, return_exceptions=True)

    assert events[0]["event"] == "ready"
    served = await _logged(system, "POST", "/agent/process", before + PROCESSES)
    assert len(set(served[-PROCESSES:])) == PROCESSES
    turns = [e for e in events if e["event"] == "turn" and e["session_id"] == session["session_id"]]
    assert len({turn["instance"] for turn in turns}) == PROCESSES  # one feed, every process


async def test_a_call_streams_on_another_process_hears_twilio_and_survives_a_redis_outage(
    system: System,
) -> None:
    before = len(system.served("POST", "/api/connect"))
    started = await _signed_in(system.url)
    assert started["ws_url"].startswith(system.url.replace("http", "ws"))  # back through nginx
    sign_in_port = _port((await _logged(system, "POST", "/api/connect", before + 1))[before])
    later = (await _signed_in(system.url))["ws_url"]  # a stream that has not started yet

    async with VoiceClient(started["ws_url"]) as caller:
        await caller.wait_for(_spoke(1), timeout=60)  # the greeting
        call = await _call_process(system)
        assert call.port != sign_in_port  # signed in on one process, streams on another

        # The caller asks for a person: the transfer starts on the call's process ...
        await caller.speak(synthesize("I want to talk to a real person.") + silence(1.0))
        await caller.wait_for(lambda r: bool(_transfers(r)), timeout=30)
        # ... which places a call to the agent (the fake Twilio REST API) ...
        await caller.wait_for(lambda r: "initiated" in _transfers(r), timeout=30)
        # ... and Twilio's status callback for that call, served by another process, ends it.
        await _next_request_avoids(system, call.port)
        before = len(system.served("POST", "/twilio/transfer_status"))
        twilio = TwilioWebhooks(system.url, Call(), auth_token=TWILIO_TOKEN)
        query = urlencode({"session_id": started["session_id"], "leg": "browser"})
        callback = await twilio.post(
            f"/twilio/transfer_status?{query}", {"CallStatus": "no-answer"}
        )
        assert callback.status_code == 204, callback.text
        served = await _logged(system, "POST", "/twilio/transfer_status", before + 1)
        assert _port(served[-1]) != call.port
        await caller.wait_for(lambda r: "failed" in _transfers(r), timeout=20)
        await asyncio.sleep(3)  # whatever the bot says about it is said before the outage

        system.redis.kill()  # Redis dies mid-call
        _assert_unavailable(await _connect(system.url), "Redis")
        async with websockets.connect(later) as refused:  # its token cannot be checked
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(refused.recv(), 15)
        assert refused.close_code == CLOSE_NOT_READY and "Redis" in (refused.close_reason or "")
        # A phone caller keys the PIN: an apology.
        phone = TwilioWebhooks(system.url, Call(), auth_token=TWILIO_TOKEN)
        gather = (await phone.answer()).find("Gather")
        assert gather is not None
        refusal = await phone.key(str(gather.get("action")), DEMO_PIN)
        assert [child.tag for child in refusal] == ["Say", "Hangup"]
        assert " ".join(refusal.itertext()).strip() == OUTAGE_SPOKEN

        # The live call keeps talking: a whole turn, heard and answered, during the outage.
        await caller.speak(synthesize("What time is it?") + silence(1.5))
        await caller.wait_for(_answered("time"), timeout=60)
        async with asyncio.timeout(10):  # its record waits in memory, not lost
            while not _gauge(await _metrics(call), "convonet_monitor_records_buffered"):  # noqa: ASYNC110
                await asyncio.sleep(0.2)

        system.redis.start()  # same port, empty (as after a crash)
        recovered = await _recovery_secs(system.url)

    async with asyncio.timeout(15):  # the buffered records reach the new Redis
        while _gauge(await _metrics(call), "convonet_monitor_records_buffered"):  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    metrics = await _metrics(call)
    assert _gauge(metrics, "convonet_monitor_records_dropped_total") == 0
    client = aioredis.Redis.from_url(system.redis.url, decode_responses=True)
    try:
        written = (await TurnStore(client).recent_turns(50)).items
    finally:
        await client.aclose()
    voice = [turn for _, turn in written if turn.session_id == started["session_id"]]
    assert "voice" in [turn.kind for turn in voice]  # made during the outage, kept
    print(f"\nRedis outage: sign-ins back {recovered:.1f} s after Redis restarted")


# --- the database ---------------------------------------------------------------------------


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


async def test_database_outage_the_caller_hears_it_and_nothing_is_written_twice(
    system: System,
) -> None:
    session = await _signed_in(system.url)
    title = f"oat milk {uuid.uuid4().hex[:6]}"
    asked = f"add {title} to my to-do list"
    tools = system.tools.url  # a text turn that calls tools, on the process that has them
    before = await _turn(tools, session, "what's on my to-do list")
    assert [call["outcome"] for call in before["tool_calls"]] == ["ok"]

    system.database.cut()
    try:
        _assert_unavailable(await _connect(system.url), "database")
        during = await _turn(tools, session, asked)
    finally:
        system.database.restore()
    assert DATA_UNAVAILABLE in during["response"], during["response"]
    assert [call["outcome"] for call in during["tool_calls"]] == ["error"]

    recovered = await _recovery_secs(system.url)
    assert await _todos_titled(system.schema, title) == 0  # the failed call wrote nothing
    after = await _turn(tools, session, asked)
    assert [call["outcome"] for call in after["tool_calls"]] == ["ok"], after
    assert await _todos_titled(system.schema, title) == 1  # written once, by the call that worked
    print(f"\nPostgreSQL outage: sign-ins back {recovered:.1f} s after it returned")
