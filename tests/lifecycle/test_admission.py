"""Per-process capacity: every surface refuses a new call as busy once the process is full.

The shared app's capacity is lowered for these tests; the place is taken by a live session
(a real :class:`~convonet.lifecycle.live_sessions.LiveSessions` entry) or by a sign-in's held place.
"""

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
import websockets
from aiortc import RTCPeerConnection

from convonet.lifecycle import capacity
from convonet.lifecycle.admission import BUSY_SPOKEN, CLOSE_BUSY
from convonet.session import CallSession
from convonet.storage.seed import DEMO_PIN
from tests.conftest import LiveServer, connect
from tests.fakes.twilio_stream import Call, TwilioStreamClient, TwilioWebhooks, sign_in

pytestmark = pytest.mark.integration

RETRY_AFTER = 7


def _run(server: LiveServer, coro):  # type: ignore[no-untyped-def]
    return asyncio.run_coroutine_threadsafe(coro, server.loop).result(timeout=10)


@pytest.fixture
def capacity_one(live_app: LiveServer) -> Iterator[LiveServer]:
    """The shared app with room for one call (restored afterwards)."""
    settings = live_app.runtime.settings
    saved = settings.max_sessions_per_process, settings.busy_retry_after_secs
    settings.max_sessions_per_process, settings.busy_retry_after_secs = 1, RETRY_AFTER
    live_app.runtime.live.release_places()
    try:
        yield live_app
    finally:
        settings.max_sessions_per_process, settings.busy_retry_after_secs = saved
        live_app.runtime.live.release_places()


@pytest.fixture
def full(capacity_one: LiveServer) -> Iterator[LiveServer]:
    """The one place taken by a running session (a pipeline stand-in that just waits)."""
    runtime = capacity_one.runtime
    session = runtime.new_session("websocket")
    started = asyncio.run_coroutine_threadsafe(
        runtime.live.run(session, asyncio.sleep(120)), capacity_one.loop
    )
    while len(runtime.live) == 0:
        time.sleep(0.01)
    try:
        yield capacity_one
    finally:
        started.cancel()
        while len(runtime.live):
            time.sleep(0.01)


def _issue_token(server: LiveServer) -> tuple[CallSession, str]:
    """A signed-in session and its token, as another process behind the balancer issues them."""
    runtime = server.runtime
    session = runtime.new_session("websocket")
    session.user_name = "Demo"

    async def issue() -> str:
        await runtime.save_session(session)
        return str(await runtime.store.issue_ws_token(session.session_id, 60))

    return session, _run(server, issue())


def _assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == str(RETRY_AFTER)
    assert "busy" in response.json()["detail"]


async def test_connect_holds_a_place_and_the_next_caller_hears_busy(
    capacity_one: LiveServer,
) -> None:
    live = capacity_one.runtime.live
    live.reserve("another-callers-session", 60, holder="another-user")
    async with httpx.AsyncClient(base_url=capacity_one.url) as http:
        _assert_busy(await http.post("/api/connect", json={"pin": DEMO_PIN}))
    live.release_places()
    first = await connect(capacity_one.url)
    # The held place is the first caller's own: its stream is let in (and frees nothing).
    assert live.occupied(excluding=str(first["session_id"])) == 0


async def test_signing_in_again_takes_the_place_of_ones_own_unstarted_sign_in(
    capacity_one: LiveServer,
) -> None:
    first = await connect(capacity_one.url)  # a sign-in whose stream never starts
    retry = await connect(capacity_one.url)  # the same caller again: not refused as busy
    live = capacity_one.runtime.live
    assert live.occupied() == 1
    assert live.occupied(excluding=str(retry["session_id"])) == 0
    assert first["session_id"] != retry["session_id"]


async def test_the_automatic_capacity_follows_the_cores_and_the_speech(
    capacity_one: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = capacity_one.runtime.live
    capacity_one.runtime.settings.max_sessions_per_process = "auto"
    live.reserve("others-call-1", 60, holder="user-1")
    # One core for the embedded speech this app runs: room for one call, taken.
    monkeypatch.setattr(capacity, "usable_cores", lambda: 1.0)
    async with httpx.AsyncClient(base_url=capacity_one.url) as http:
        refused = await http.post("/api/connect", json={"pin": DEMO_PIN})
        _assert_busy(refused)
        assert "capacity of 1 calls" in refused.json()["detail"]
        # Three cores: room for three; two other callers and this one.
        monkeypatch.setattr(capacity, "usable_cores", lambda: 3.0)
        live.reserve("others-call-2", 60, holder="user-2")
        assert (await http.post("/api/connect", json={"pin": DEMO_PIN})).status_code == 200
        live.reserve("others-call-3", 60, holder="user-3")
        _assert_busy(await http.post("/api/connect", json={"pin": DEMO_PIN}))


async def test_connect_is_refused_while_a_call_runs(full: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=full.url) as http:
        _assert_busy(await http.post("/api/connect", json={"pin": DEMO_PIN}))
        full.runtime.settings.max_sessions_per_process = 0  # 0 = no limit
        assert (await http.post("/api/connect", json={"pin": DEMO_PIN})).status_code == 200


async def test_websocket_with_a_token_from_elsewhere_is_closed_busy(full: LiveServer) -> None:
    _, token = _issue_token(full)
    async with websockets.connect(f"ws://127.0.0.1:{full.port}/ws?token={token}") as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
    assert ws.close_code == CLOSE_BUSY
    assert ws.close_reason is not None and "busy" in ws.close_reason
    assert len(full.runtime.live) == 1


async def test_webrtc_offer_is_refused_busy(full: LiveServer) -> None:
    _, token = _issue_token(full)
    peer = RTCPeerConnection()
    peer.addTransceiver("audio")
    await peer.setLocalDescription(await peer.createOffer())
    try:
        body = {"sdp": peer.localDescription.sdp, "type": "offer", "request_data": {"token": token}}
        async with httpx.AsyncClient(base_url=full.url) as http:
            _assert_busy(await http.post("/api/offer", json=body))
    finally:
        await peer.close()
    assert len(full.runtime.live) == 1


async def test_phone_call_hears_an_apology_and_is_hung_up(full: LiveServer) -> None:
    answer = await TwilioWebhooks(full.url, Call()).answer()
    assert [child.tag for child in answer] == ["Say", "Hangup"]
    assert " ".join(answer.itertext()).strip() == BUSY_SPOKEN


async def test_phone_stream_is_closed_busy_when_the_place_went_elsewhere(
    capacity_one: LiveServer,
) -> None:
    call = await sign_in(capacity_one.url)  # holds the one place for this call's stream
    runtime = capacity_one.runtime
    runtime.settings.max_sessions_per_process = 2
    other = _issue_token(capacity_one)[0]
    runtime.live.reserve(other.session_id, 60)  # a browser caller signed in meanwhile
    runtime.settings.max_sessions_per_process = 1
    url = f"ws://127.0.0.1:{capacity_one.port}/twilio/ws"
    async with TwilioStreamClient(url, call) as client:
        await client.wait_closed(within=5)
    assert client.log.close_code == CLOSE_BUSY, client.log.close_reason
    assert not client.log.events("media")
