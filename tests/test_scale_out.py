"""Three server processes behind Debian's nginx, sharing the real Redis and PostgreSQL.

The module starts, once, three ``convonet serve`` processes on loopback ports (one fresh
PostgreSQL schema, the test Redis database, the same secrets) and nginx in front of them,
configured from ``deploy/nginx/convonet.conf.template``: round robin, WebSocket upgrade, no
stickiness. nginx's access log names the process (``upstream=``) that served each request;
a call's process is the one whose ``/metrics`` counts it. Then, all through nginx:

* a caller signs in on one process and streams on another;
* the Agent Monitor's live feed, served by one process, shows the turns of all three;
* a caller asks for a person on one process, and Twilio's callback, served by another,
  changes that transfer: the caller's client hears of it.
"""

import asyncio
import json
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from convonet.bench.servers import Fleet, free_port
from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import Database
from convonet.storage.seed import DEMO_EMAIL, DEMO_PASSWORD, DEMO_PIN, seed_demo
from tests.fakes.backends import postgres_url, redis_url
from tests.fakes.speech import silence, synthesize
from tests.fakes.voice_client import Received, VoiceClient

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="needs Debian's nginx"),
]

TEMPLATE = Path(__file__).parents[1] / "deploy" / "nginx" / "convonet.conf.template"
PROCESSES = 3
SECRETS = {"JWT_SECRET": "scale-out-test-jwt-secret-0123456789abcdef", "PIN_HASH_SECRET": "pins"}
_UPSTREAM = re.compile(r'"(\w+) (\S+) [^"]*" (\d+) upstream=(\S+)')


@dataclass
class System:
    """The running processes, nginx in front, and how to read nginx's access log."""

    fleet: Fleet
    url: str
    log: Path

    def served(self, method: str, path: str) -> list[tuple[int, str]]:
        """(status, upstream address) of every logged request ``method path*``, in order."""
        found = []
        for match in _UPSTREAM.finditer(self.log.read_text()):
            if match[1] == method and match[2].startswith(path):
                found.append((int(match[3]), match[4]))
        return found

    def port_of(self, upstream: str) -> int:
        """The port of an ``upstream=`` address."""
        return int(upstream.rsplit(":", 1)[1])


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
    client = aioredis.Redis.from_url(redis_url())
    try:
        await client.flushdb()
    finally:
        await client.aclose()


def _start_nginx(prefix: Path, ports: list[int]) -> tuple[subprocess.Popen[bytes], int]:
    listen = free_port()
    upstreams = "\n        ".join(
        f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports
    )
    config = TEMPLATE.read_text()
    for name, value in {"@LISTEN@": f"127.0.0.1:{listen}", "@UPSTREAMS@": upstreams}.items():
        config = config.replace(name, value)
    (prefix / "nginx.conf").write_text(config.replace("@PREFIX@", str(prefix)))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    command = [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{listen}/healthz", timeout=1).status_code == 200:
                return process, listen
        except httpx.TransportError as error:
            if process.poll() is not None:
                detail = process.stderr.read() if process.stderr else b""
                raise RuntimeError(f"nginx exited: {detail!r}") from error
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("nginx did not answer")


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    schema = f"scale_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_prepare(schema))
    except (OSError, SQLAlchemyError, RedisError) as error:
        pytest.skip(f"needs the test PostgreSQL and Redis ({error})")
    environment = {
        **SECRETS,
        "REDIS_URL": redis_url(),
        "DATABASE_URL": postgres_url(),
        "DATABASE_SCHEMA": schema,
        "TOOLS_ENABLED": "false",  # the MCP tool processes play no part here
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
    }
    fleet = Fleet(PROCESSES, environment)
    nginx: subprocess.Popen[bytes] | None = None
    try:
        fleet.start()
        prefix = tmp_path_factory.mktemp("nginx")
        nginx, port = _start_nginx(prefix, [server.port for server in fleet.servers])
        yield System(fleet, f"http://127.0.0.1:{port}", prefix / "access.log")
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        fleet.stop()
        asyncio.run(_postgres(f'DROP SCHEMA "{schema}" CASCADE'))


async def _calls_on(system: System) -> list[int]:
    """The ports of the processes running a websocket call now (from their /metrics)."""
    ports = []
    async with httpx.AsyncClient(timeout=10) as http:
        for server in system.fleet.servers:
            metrics = (await http.get(f"{server.url}/metrics")).text
            if 'convonet_active_sessions{channel="websocket"} 1.0' in metrics:
                ports.append(server.port)
    return ports


async def _next_request_avoids(system: System, port: int) -> None:
    """Send /healthz through nginx until its next request goes to a process other than ``port``.

    nginx's round robin (one worker, equal weights) cycles through the processes in a fixed
    order, which the last requests in its log reveal.
    """
    async with httpx.AsyncClient(base_url=system.url, timeout=10) as http:
        for _ in range(PROCESSES):
            await http.get("/healthz")
        cycle = [system.port_of(up) for _, up in system.served("GET", "/healthz")[-PROCESSES:]]
        if cycle[0] == port:  # the next request would go there: use that turn up
            await http.get("/healthz")


def _transfer_messages(received: Received) -> list[dict[str, Any]]:
    return [
        m["data"]
        for m in received.rtvi("server-message")
        if isinstance(m.get("data"), dict) and m["data"].get("type") == "transfer"
    ]


async def test_sign_in_on_one_process_stream_on_another_and_twilio_reaches_the_call(
    system: System,
) -> None:
    async with httpx.AsyncClient(base_url=system.url, timeout=30) as http:
        signed_in = await http.post("/api/connect", json={"pin": DEMO_PIN, "llm": "offline"})
    assert signed_in.status_code == 200, signed_in.text
    started = signed_in.json()
    assert started["ws_url"].startswith(system.url.replace("http", "ws"))  # back through nginx
    _, sign_in_upstream = system.served("POST", "/api/connect")[-1]

    async with VoiceClient(started["ws_url"]) as caller:
        await caller.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 1, timeout=60)
        [call_port] = await _calls_on(system)
        assert call_port != system.port_of(sign_in_upstream)  # signed in on one, streams on another

        # The caller asks for a person: the transfer starts on the call's process ...
        await caller.speak(synthesize("I want to talk to a real person.") + silence(1.0))
        await caller.wait_for(lambda r: bool(_transfer_messages(r)), timeout=30)
        # ... and Twilio's callback, served by another process, changes it.
        await _next_request_avoids(system, call_port)
        async with httpx.AsyncClient(base_url=system.url, timeout=30) as http:
            callback = await http.post(
                "/twilio/transfer_callback",
                params={"session_id": started["session_id"]},
                data={"DialCallStatus": "no-answer"},
            )
        assert callback.status_code == 200, callback.text
        _, callback_upstream = system.served("POST", "/twilio/transfer_callback")[-1]
        assert system.port_of(callback_upstream) != call_port
        await caller.wait_for(
            lambda r: any(m["status"] == "failed" for m in _transfer_messages(r)), timeout=20
        )
    assert [m["status"] for m in _transfer_messages(caller.received)][-1] == "failed"


async def _feed(system: System, token: str, into: list[dict[str, Any]]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=system.url, timeout=None) as http,
        http.stream("GET", "/agent-monitor/api/live", headers=headers) as stream,
    ):
        event = ""
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                into.append({"event": event, **json.loads(line.removeprefix("data: "))})


@pytest.fixture
async def signed_in(system: System) -> AsyncIterator[tuple[str, dict[str, str]]]:
    async with httpx.AsyncClient(base_url=system.url, timeout=30) as http:
        login = await http.post(
            "/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
        session = await http.post("/api/connect", json={"pin": DEMO_PIN, "llm": "offline"})
    assert login.status_code == 200 and session.status_code == 200, (login.text, session.text)
    yield login.json()["access_token"], session.json()


async def test_the_live_feed_of_any_process_shows_the_turns_of_all(
    system: System, signed_in: tuple[str, dict[str, str]]
) -> None:
    token, session = signed_in
    events: list[dict[str, Any]] = []
    feed = asyncio.create_task(_feed(system, token, events))
    try:
        async with asyncio.timeout(20):
            while not events:  # noqa: ASYNC110 - the feed task fills the list
                await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=system.url, timeout=60) as http:
            for said in ("hello", "what can you do", "thank you"):  # one per process
                turn = await http.post(
                    "/agent/process",
                    json={"text": said, "session_id": session["session_id"]},
                    headers={"Authorization": f"Bearer {session['session_token']}"},
                )
                assert turn.status_code == 200, turn.text
        async with asyncio.timeout(20):
            while len([e for e in events if e["event"] == "turn"]) < PROCESSES:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        feed.cancel()
        await asyncio.gather(feed, return_exceptions=True)

    turn_upstreams = {up for _, up in system.served("POST", "/agent/process")[-PROCESSES:]}
    assert len(turn_upstreams) == PROCESSES  # round robin: one turn on each process
    turns = [e for e in events if e["event"] == "turn" and e["session_id"] == session["session_id"]]
    assert len({turn["instance"] for turn in turns}) == PROCESSES  # one feed, all processes
    assert events[0]["event"] == "ready"
