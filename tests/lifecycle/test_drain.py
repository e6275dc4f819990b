"""Drain on SIGTERM: new calls refused with a reason, live calls finish, the process exits 0.

The refusals are checked on the shared in-process app (its drain flag set for the test); the
drain itself on a real ``convonet serve`` subprocess sent a real SIGTERM while a caller's
turn is under way, with real speech through the embedded Whisper/Piper pipeline.
"""

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import websockets
from aiortc import RTCPeerConnection

from convonet.bench.servers import Fleet, ServerProcess
from convonet.bench.turns import open_call
from convonet.lifecycle.admission import CLOSE_BUSY, DRAINING_SPOKEN
from convonet.lifecycle.drain import Drain
from convonet.storage.seed import DEMO_PIN
from tests.conftest import LiveServer
from tests.fakes.speech import silence, synthesize, transcribe
from tests.fakes.twilio_stream import Call, TwilioWebhooks
from tests.fakes.voice_client import Received, VoiceClient
from tests.lifecycle.test_admission import _issue_token

pytestmark = pytest.mark.integration


@pytest.fixture
def draining(live_app: LiveServer) -> Iterator[LiveServer]:
    """The shared app as if it had received SIGTERM (restored afterwards)."""
    live_app.runtime.drain.begin()
    try:
        yield live_app
    finally:
        live_app.runtime.drain = Drain()


def _assert_draining(response: httpx.Response, retry_after: int) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == str(retry_after)
    assert "draining" in response.json()["detail"]


async def test_a_draining_process_is_not_ready_and_refuses_every_new_call(
    draining: LiveServer,
) -> None:
    retry_after = draining.runtime.settings.busy_retry_after_secs
    _, ws_token = _issue_token(draining)
    _, offer_token = _issue_token(draining)
    async with httpx.AsyncClient(base_url=draining.url) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["draining"] is True
        assert (await http.get("/healthz")).status_code == 200  # alive: do not restart it
        _assert_draining(await http.post("/api/connect", json={"pin": DEMO_PIN}), retry_after)
        peer = RTCPeerConnection()
        peer.addTransceiver("audio")
        await peer.setLocalDescription(await peer.createOffer())
        try:
            offer = {"sdp": peer.localDescription.sdp, "type": "offer"}
            body = {**offer, "request_data": {"token": offer_token}}
            _assert_draining(await http.post("/api/offer", json=body), retry_after)
        finally:
            await peer.close()
    async with websockets.connect(f"ws://127.0.0.1:{draining.port}/ws?token={ws_token}") as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
    assert ws.close_code == CLOSE_BUSY
    assert ws.close_reason is not None and "draining" in ws.close_reason
    answer = await TwilioWebhooks(draining.url, Call()).answer()
    assert [child.tag for child in answer] == ["Say", "Hangup"]
    assert " ".join(answer.itertext()).strip() == DRAINING_SPOKEN


@pytest.fixture
async def server_factory() -> AsyncIterator[list[Fleet]]:
    """Start real servers (``await start(overrides)``); all are stopped at the end."""
    fleets: list[Fleet] = []
    yield fleets
    for fleet in fleets:
        fleet.stop()


async def _start(fleets: list[Fleet], grace_secs: float) -> ServerProcess:
    fleet = Fleet(1, {"TOOLS_ENABLED": "false", "DRAIN_GRACE_SECS": str(grace_secs)})
    fleets.append(fleet)
    await asyncio.to_thread(fleet.start)
    return fleet.servers[0]


def _spoke(times: int):  # type: ignore[no-untyped-def]
    def check(received: Received) -> bool:
        return len(received.rtvi("bot-stopped-speaking")) >= times

    return check


async def _wait_draining(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        for _ in range(50):
            ready = await http.get("/readyz")
            if ready.status_code == 503 and ready.json()["draining"]:
                return
            await asyncio.sleep(0.1)
    raise AssertionError("/readyz did not turn false after SIGTERM")


async def test_sigterm_mid_turn_lets_the_turn_finish_refuses_new_calls_and_exits_zero(
    server_factory: list[Fleet],
) -> None:
    server = await _start(server_factory, grace_secs=60)
    later = await open_call(server.url, DEMO_PIN, llm="offline")  # signed in before SIGTERM
    async with VoiceClient(await open_call(server.url, DEMO_PIN, llm="offline")) as client:
        await client.wait_for(_spoke(1), timeout=30)  # the greeting
        speaking = asyncio.create_task(
            client.speak(synthesize("What is on my to-do list?") + silence(2.0))
        )
        await client.wait_for(lambda r: bool(r.rtvi("user-started-speaking")), timeout=15)
        server.process.send_signal(signal.SIGTERM)  # mid-turn: the caller is speaking
        await _wait_draining(server)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            refused = await http.post("/api/connect", json={"pin": DEMO_PIN})
        assert refused.status_code == 503 and "Retry-After" in refused.headers
        async with websockets.connect(later) as ws:  # a stream that had not started yet
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == CLOSE_BUSY
        await speaking
        await client.wait_for(_spoke(2), timeout=60)  # the turn completes: the bot answered
        assert client.received.texts("user-transcription")
        assert server.process.poll() is None  # the call is still live: the process waits
    # The caller hung up: the drain is over, and the process exits on its own, cleanly.
    assert await asyncio.to_thread(server.process.wait, 30) == 0


async def test_calls_still_live_after_the_grace_hear_a_goodbye(
    server_factory: list[Fleet],
) -> None:
    server = await _start(server_factory, grace_secs=1)
    async with VoiceClient(await open_call(server.url, DEMO_PIN, llm="offline")) as client:
        await client.wait_for(_spoke(1), timeout=30)
        sent = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        await client.wait_for(_spoke(2), timeout=30)  # the goodbye, spoken in full
        heard = transcribe(client.received.audio_bytes(since=sent), client.received.audio_rate)
        # Whisper hears the spoken "Goodbye." as "Goodbye" or "Bye bye" depending on timing.
        assert "maintenance" in heard.lower() and "bye" in heard.lower(), heard
        # The server ends the call itself; its process then exits cleanly.
        assert await asyncio.to_thread(server.process.wait, 30) == 0
