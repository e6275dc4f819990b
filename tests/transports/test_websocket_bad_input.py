"""Bad input on ``/ws`` and ``/api/connect``: clear errors, no collateral damage."""

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from pipecat.frames.frames import InputTransportMessageFrame, OutputTransportMessageUrgentFrame
from pipecat.serializers.protobuf import ProtobufFrameSerializer
from websockets.asyncio.client import ClientConnection

from tests.conftest import LiveServer, connect

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SERIALIZER = ProtobufFrameSerializer()


async def _ws_url(live_app: LiveServer) -> str:
    return str((await connect(live_app.url))["ws_url"])


async def _encode(message: dict[str, Any]) -> bytes:
    data = await SERIALIZER.serialize(OutputTransportMessageUrgentFrame(message=message))
    assert isinstance(data, bytes)
    return data


async def _next_rtvi(ws: ClientConnection, kind: str, timeout: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            raw = await ws.recv()
            if isinstance(raw, str):
                continue
            frame = await SERIALIZER.deserialize(raw)
            if isinstance(frame, InputTransportMessageFrame) and frame.message.get("type") == kind:
                return dict(frame.message)


CLIENT_READY = {
    "label": "rtvi-ai",
    "type": "client-ready",
    "id": "r1",
    "data": {"version": "1.0.0"},
}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe garbage \x00\x01", "malformed"),
        (b"\x0a\x05\x0a\x03ab", "malformed"),  # a protobuf field cut short
        ("plain text, not protobuf", "malformed"),
        (b"\x08\x01", "unrecognised"),  # valid protobuf, but no known frame
    ],
)
async def test_bad_messages_get_rtvi_error_and_session_survives(
    live_app: LiveServer, payload: bytes | str, reason: str
) -> None:
    async with websockets.connect(await _ws_url(live_app)) as ws:
        await ws.send(payload)
        error = await _next_rtvi(ws, "error")
        assert reason in error["data"]["error"]
        assert error["data"]["fatal"] is False
        # The same session still answers a well-formed RTVI handshake.
        await ws.send(await _encode(CLIENT_READY))
        ready = await _next_rtvi(ws, "bot-ready")
        assert ready["id"] == "r1"


async def test_oversized_message_closes_with_1009(live_app: LiveServer) -> None:
    async with websockets.connect(await _ws_url(live_app), max_size=None) as ws:
        await ws.send(b"\x00" * (live_app.settings.max_ws_message_bytes + 1))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(10):
                while True:
                    await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_unknown_token_is_refused_with_4401(live_app: LiveServer) -> None:
    url = live_app.url.replace("http", "ws") + "/ws?token=not-a-token"
    async with websockets.connect(url) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
    assert "token" in closed.value.rcvd.reason


async def test_token_is_single_use(live_app: LiveServer) -> None:
    url = await _ws_url(live_app)
    async with websockets.connect(url) as first:
        await first.send(await _encode(CLIENT_READY))
        await _next_rtvi(first, "bot-ready")
        async with websockets.connect(url) as second:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(second.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_vanishing_client_is_cleaned_up_and_others_keep_working(
    live_app: LiveServer,
) -> None:
    live = live_app.runtime.live
    async with websockets.connect(await _ws_url(live_app)) as steady:
        await steady.send(await _encode(CLIENT_READY))
        await _next_rtvi(steady, "bot-ready")
        baseline = len(live)
        vanishing = await websockets.connect(await _ws_url(live_app))
        await vanishing.send(await _encode(CLIENT_READY))
        await _next_rtvi(vanishing, "bot-started-speaking")  # mid-greeting
        vanishing.transport.abort()  # no close handshake: the client just disappears
        async with asyncio.timeout(10):
            while len(live) > baseline:  # noqa: ASYNC110 - polling the server's count
                await asyncio.sleep(0.05)
        # The other session is unaffected and still serving.
        await _next_rtvi(steady, "bot-started-speaking")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"bot": "no-such-bot"}, "unknown bot"),
        ({"llm": "no-such-llm"}, "LLM"),
        ({"tts": "elevenlabs"}, "not configured"),
        ({"stt": "nope"}, "unknown STT"),
    ],
)
async def test_connect_rejects_unknown_choices(
    live_app: LiveServer, body: dict[str, str], detail: str
) -> None:
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        response = await http.post("/api/connect", json={"pin": "1234", **body})
    assert response.status_code == 400
    assert detail in response.json()["detail"]


async def test_connect_rejects_malformed_json(live_app: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        response = await http.post(
            "/api/connect", content=b"{not json", headers={"content-type": "application/json"}
        )
        too_long = await http.post("/api/connect", json={"pin": "1234", "bot": "x" * 1000})
    assert response.status_code == 422
    assert too_long.status_code == 422
    assert json.dumps(too_long.json()).count("bot") >= 1
