"""The browser leg over a real server: a ``/ws`` caller bridged to an agent's Twilio stream.

The caller is pipecat's ``WebsocketClientTransport`` speaking Piper speech; Twilio's REST API
is the local fake (the real ``twilio`` SDK talks to it); the test plays the agent's side of
``/twilio/bridge`` with 8 kHz μ-law speech like Twilio's media stream. Checked: the call
placed to extension 2001 and the context filed under its SID, ``ringing`` from the status
callback, audio both ways while bridged with the bot silent and deaf, the bot back after the
agent hangs up; a caller hanging up while the agent's phone rings cancels that call; the
phone leg's ``ringing`` and its caller-hung-up callback.
"""

import contextlib
import json
import time
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest

from convonet.storage.redis import Keys
from convonet.transfer.service import DepartmentInfo, TransferService
from tests.conftest import LiveServer, connect
from tests.fakes.speech import silence, synthesize, transcribe
from tests.fakes.twilio_rest import FakeTwilioREST
from tests.fakes.twilio_stream import RATE, Call, TwilioStreamClient
from tests.fakes.voice_client import Received, VoiceClient
from tests.transfer.conftest import CALLER_ID, wait_for_transfer
from tests.transports.test_twilio import PUBLIC, sign

pytestmark = [pytest.mark.slow, pytest.mark.integration]
BRIDGE = f"{PUBLIC.replace('https', 'wss')}/twilio/bridge"


async def _post(server: LiveServer, url: str, form: dict[str, str], signed: bool = True) -> Any:
    headers = sign(url, form) if signed else {}
    async with httpx.AsyncClient(timeout=12) as http:
        return await http.post(url.replace(PUBLIC, server.url), data=form, headers=headers)


def _transfer_statuses(received: Received) -> list[str]:
    data = [m.get("data", {}) for m in received.rtvi("server-message")]
    return [d["status"] for d in data if d.get("type") == "transfer"]


async def _caller(server: LiveServer) -> tuple[str, str]:
    """A signed-in caller's local ``/ws`` URL and session id."""
    started = await connect(server.url)
    public_ws = PUBLIC.replace("https", "wss")
    ws_url = str(started["ws_url"]).replace(public_ws, f"ws://127.0.0.1:{server.port}")
    return ws_url, str(started["session_id"])


async def _placed_call(fake: FakeTwilioREST, session_id: str) -> dict[str, str]:
    calls = [r.form for r in fake.created_calls() if session_id in r.form.get("To", "")]
    assert len(calls) == 1, calls
    return calls[0]


async def test_a_browser_caller_is_bridged_to_the_agent_and_back(
    twilio_server: tuple[LiveServer, FakeTwilioREST],
) -> None:
    server, fake = twilio_server
    ws_url, session_id = await _caller(server)
    async with VoiceClient(ws_url) as caller:
        await caller.wait_for(lambda r: bool(r.rtvi("bot-stopped-speaking")), timeout=20)
        await caller.speak(synthesize("I want to talk to a real person.") + silence(1.0))
        record = await wait_for_transfer(server, session_id, "initiated", within=10.0)
        await caller.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 2, timeout=15)
        placed = await _placed_call(fake, session_id)
        sid = placed["sid"]
        assert placed["To"].startswith("sip:2001@pbx.example.com;transport=udp?")
        assert placed["From"] == CALLER_ID and record.call_sid == sid
        stream = ET.fromstring(placed["Twiml"]).find("./Connect/Stream")
        assert stream is not None and stream.get("url") == BRIDGE
        key = Keys.callcenter_customer("2001", sid)
        context = json.loads(await server.on_loop(server.runtime.store.redis.get(key)))
        assert (context["session_id"], context["channel"]) == (session_id, "websocket")
        assert "real person" in context["transcript"][-1]["text"].lower()

        status_url = placed["StatusCallback"]
        ringing = {"CallSid": sid, "CallStatus": "ringing"}
        assert (await _post(server, status_url, ringing, signed=False)).status_code == 403
        assert (await _post(server, status_url, ringing)).status_code == 204
        await wait_for_transfer(server, session_id, "ringing", within=10.0)

        agent_call = Call(call_sid=sid, parameters={"session_id": session_id})
        bridge_url = f"ws://127.0.0.1:{server.port}/twilio/bridge"
        async with TwilioStreamClient(bridge_url, agent_call, headers=sign(BRIDGE)) as agent:
            await wait_for_transfer(server, session_id, "connected", within=10.0)
            await caller.wait_for(lambda r: "connected" in _transfer_statuses(r), timeout=5)
            bot_lines = set(caller.received.texts("bot-output"))
            heard_before = len(caller.received.texts("user-transcription"))

            # On a busy machine bridged audio trails the speaker: each side waits (up to 5 s)
            # until it has as much audio as was said, so the last word is not cut off.
            spoke = time.monotonic()
            greeting = synthesize("Hello, this is the billing team.", RATE)
            await agent.speak(greeting + silence(0.6, RATE))
            rate = caller.received.audio_rate
            needed = len(greeting) * rate // RATE
            with contextlib.suppress(TimeoutError):
                await caller.wait_for(lambda r: len(r.audio_bytes(since=spoke)) >= needed, 5)
            heard = transcribe(caller.received.audio_bytes(since=spoke), rate)
            assert "billing" in heard.lower(), heard

            said = time.monotonic()
            complaint = synthesize("My parcel never arrived.")
            await caller.speak(complaint + silence(0.8))
            needed = len(complaint) * RATE // caller.sample_rate
            with contextlib.suppress(TimeoutError):
                await agent.wait_for(lambda log: len(log.audio(since=said)) >= needed, within=5)
            agent_heard = transcribe(agent.log.audio(since=said), RATE)
            # Two of three content words: Whisper tiny once heard "my parts will never arrive".
            words = [w for w in ("parcel", "never", "arriv") if w in agent_heard.lower()]
            assert len(words) >= 2, agent_heard
            # Muted while bridged: no transcript of the caller, no word from the bot.
            assert len(caller.received.texts("user-transcription")) == heard_before
            assert set(caller.received.texts("bot-output")) == bot_lines
        await caller.wait_for(
            lambda r: any("left the call" in t for t in r.texts("bot-output")), timeout=15
        )
        asked = time.monotonic()
        await caller.speak(synthesize("What time is it?") + silence(1.2))
        await caller.wait_for(
            lambda r: any(t.startswith("It's") for t in r.texts("bot-output")), timeout=20
        )
    assert "time" in " ".join(caller.received.texts("user-transcription")).lower()
    assert asked > spoke


async def test_hanging_up_while_the_agent_rings_cancels_the_call(
    twilio_server: tuple[LiveServer, FakeTwilioREST],
) -> None:
    server, fake = twilio_server
    ws_url, session_id = await _caller(server)
    async with VoiceClient(ws_url) as caller:
        await caller.speak(synthesize("Let me speak to an operator.") + silence(1.0))
        record = await wait_for_transfer(server, session_id, "initiated", within=10.0)
        await caller.close()
    record = await wait_for_transfer(server, session_id, "failed", within=10.0)
    assert record.failure == "cancelled"
    assert [s.status for s in record.history] == ["requested", "initiated", "failed"]
    cancels = [r for r in fake.call_updates() if r.path.endswith(f"/Calls/{record.call_sid}.json")]
    assert [r.form.get("Status") for r in cancels] == ["canceled"]


async def test_the_phone_legs_ringing_and_a_caller_gone_during_the_dial(
    twilio_server: tuple[LiveServer, FakeTwilioREST],
) -> None:
    server, _ = twilio_server
    service = TransferService(server.runtime.store)
    departments = [DepartmentInfo("sales", "2002")]
    await server.on_loop(service.start("phone-1", "sales", departments))
    await server.on_loop(service.advance("phone-1", "initiated", call_sid="CA9"))
    query = "session_id=phone-1"
    status = f"{PUBLIC}/twilio/transfer_status?{query}&leg=phone"
    answer = await _post(server, status, {"CallSid": "CA9", "CallStatus": "exploded"})
    assert answer.status_code == 400 and "CallStatus" in answer.text
    assert (
        await _post(server, status, {"CallSid": "CA9", "CallStatus": "ringing"})
    ).status_code == 204
    await wait_for_transfer(server, "phone-1", "ringing", within=10.0)
    # The phone leg's end is the <Dial> action's to report, not the <Sip> status callback's.
    assert (
        await _post(server, status, {"CallSid": "CA9", "CallStatus": "busy"})
    ).status_code == 204
    await wait_for_transfer(server, "phone-1", "ringing", within=10.0)

    action = f"{PUBLIC}/twilio/transfer_callback?{query}"
    gone = {"CallSid": "CA9", "CallStatus": "completed", "DialCallStatus": "no-answer"}
    answer = await _post(server, action, gone)
    assert answer.status_code == 200 and ET.fromstring(answer.text).find("./Connect") is None
    record = await wait_for_transfer(server, "phone-1", "failed", within=10.0)
    assert record.failure == "cancelled"
    missing = await _post(server, status, {"CallSid": "CA9", "CallStatus": "ringing"})
    assert missing.status_code == 404
