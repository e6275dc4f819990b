"""Issue 15.3/15.5/15.6/15.8: forwarded headers, bad JSON, body limits, headers, /ws, /metrics."""

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from convonet.auth.limiter import GLOBAL, IP, PIN_ONLY
from convonet.storage.seed import DEMO_PIN
from tests.conftest import LiveServer, connect
from tests.conftest import test_settings as settings_for

pytestmark = pytest.mark.integration

METRICS_TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture(scope="module")
def guarded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own: lockouts from 127.0.0.1 and its settings stay here."""
    settings = settings_for(
        tmp_path_factory.mktemp("guards"),
        metrics_token=METRICS_TOKEN,
        forwarded_hosts=["voice.example.com"],
        tools_enabled=False,
    )
    server = LiveServer(settings)
    server.start()
    yield server
    server.stop()


async def test_x_forwarded_for_from_an_unlisted_peer_does_not_spread_guesses(
    guarded_app: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=guarded_app.url) as http:
        for n in range(guarded_app.settings.auth_max_failures):
            spoofed = {"X-Forwarded-For": f"203.0.113.{n}"}
            wrong = await http.post("/api/connect", json={"pin": "999999"}, headers=spoofed)
            assert wrong.status_code == 401
        locked = await http.post(
            "/api/connect", json={"pin": DEMO_PIN}, headers={"X-Forwarded-For": "203.0.113.99"}
        )
    assert locked.status_code == 429
    # Unlock 127.0.0.1 again for the module's other tests.
    for scope, key in ((IP, "127.0.0.1"), (PIN_ONLY, GLOBAL)):
        reset = guarded_app.runtime.store.reset_failures(scope, key)
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(reset, guarded_app.loop))


def test_forwarded_headers_are_trusted_only_from_listed_proxies(tmp_path: Any) -> None:
    from fastapi import Request
    from fastapi.testclient import TestClient

    from convonet.server import create_app

    for allowed, expected in (([], "testclient"), (["*"], "198.51.100.7")):
        app = create_app(settings_for(tmp_path, forwarded_allow_ips=allowed, tools_enabled=False))

        async def peer(request: Request) -> dict[str, str]:
            return {"host": request.client.host if request.client else ""}

        app.add_api_route("/peer", peer)
        seen = TestClient(app).get("/peer", headers={"X-Forwarded-For": "198.51.100.7"})
        assert seen.json()["host"] == expected


async def test_ws_url_never_comes_from_an_unlisted_forwarded_host(guarded_app: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=guarded_app.url) as http:
        evil = await http.post(
            "/api/connect", json={"pin": DEMO_PIN}, headers={"X-Forwarded-Host": "evil.example"}
        )
        listed = await http.post(
            "/api/connect",
            json={"pin": DEMO_PIN},
            headers={"X-Forwarded-Host": "voice.example.com"},
        )
    assert evil.status_code == 200 and "evil.example" not in evil.json()["ws_url"]
    assert listed.json()["ws_url"].startswith("ws://voice.example.com/ws?token=")


async def _authorized(base_url: str) -> dict[str, str]:
    started = await connect(base_url)
    return {
        "Authorization": f"Bearer {started['session_token']}",
        "sid": str(started["session_id"]),
    }


async def test_deep_metadata_is_refused_before_any_work(live_app: LiveServer) -> None:
    auth = await _authorized(live_app.url)
    session_id = auth.pop("sid")
    nested: Any = "leaf"
    for _ in range(500):
        nested = {"n": nested}
    body = {"text": "add feed the deep fish to my to-do list", "session_id": session_id}
    async with httpx.AsyncClient(base_url=live_app.url, timeout=30) as http:
        refused = await http.post("/agent/process", json={**body, "metadata": nested}, headers=auth)
        assert refused.status_code == 422, refused.text
        assert "deep" in refused.json()["detail"]
        listed = await http.post(
            "/agent/process",
            json={"text": "what's on my to-do list", "session_id": session_id},
            headers=auth,
        )
    assert "deep fish" not in listed.text


async def test_a_lone_surrogate_gets_a_clean_422(live_app: LiveServer) -> None:
    auth = await _authorized(live_app.url)
    session_id = auth.pop("sid")
    raw = '{"text": "hi \\ud800 there", "session_id": "' + session_id + '"}'
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        response = await http.post(
            "/agent/process",
            content=raw.encode(),
            headers={**auth, "content-type": "application/json"},
        )
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_large_bodies_get_413_and_errors_never_echo_inputs(live_app: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        huge = await http.post("/api/connect", json={"pin": "7" * 3_000_000})
        assert huge.status_code == 413
        assert "777777" not in huge.text and len(huge.text) < 500
        long_text = await http.post("/agent/process", json={"text": "q" * 100_000})
        assert long_text.status_code == 422
        assert "qqqqqq" not in long_text.text and len(long_text.text) < 2000
        # A body streamed without Content-Length is limited too.

        async def chunks() -> Any:
            for _ in range(40):
                yield b"[" * 65536

        streamed = await http.post(
            "/api/connect", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413


async def test_pages_carry_security_headers(live_app: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        for path in (
            "/",
            "/voice_assistant",
            "/agent-monitor",
            "/tool-execution",
            "/static/index.html",
        ):
            page = await http.get(path)
            assert page.status_code == 200
            assert "default-src 'self'" in page.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
            assert page.headers["x-frame-options"] == "DENY"
            assert page.headers["referrer-policy"] == "no-referrer"
            assert page.headers["x-content-type-options"] == "nosniff"


async def test_ws_refuses_foreign_origins(live_app: LiveServer) -> None:
    url = f"ws://127.0.0.1:{live_app.port}/ws?token=nope"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with websockets.connect(url, origin="https://evil.example"):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403
    own = f"http://127.0.0.1:{live_app.port}"
    async with websockets.connect(url, origin=own) as ws:  # type: ignore[arg-type]
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 4401  # admitted, then refused for the bad token


async def test_metrics_need_the_token_when_one_is_set(guarded_app: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=guarded_app.url) as http:
        assert (await http.get("/metrics")).status_code == 401
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 401
        ok = await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert ok.status_code == 200 and "convonet_" in ok.text


def test_access_log_lines_carry_no_query_string(tmp_path: Any) -> None:
    from convonet.server import create_app

    create_app(settings_for(tmp_path, tools_enabled=False))
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/twilio/stream?token=secret-media-token", "1.1", 101),
        None,
    )
    logger = logging.getLogger("uvicorn.access")
    assert all(f.filter(record) if hasattr(f, "filter") else f(record) for f in logger.filters)
    assert "secret-media-token" not in record.getMessage()
    assert "/twilio/stream" in record.getMessage()
    assert json.dumps(record.args)
