"""The phrase path over a simulated Twilio media stream: real speech, no LLM round trip.

The caller (Piper speech as 8 kHz μ-law at real-time pace) asks for a real person. With
Twilio configured (the real SDK against a local fake of Twilio's REST API) the live call is
updated to ``<Dial><Sip>`` extension 2001 within 1 s of the request, and a second ask while
the transfer is under way changes nothing; the ``no-answer`` callback returns TwiML that
reconnects a stream to the same session, where the conversation goes on where it was.
Without Twilio credentials the transfer is refused and the caller hears why; the agent's
context is stored either way.
"""

import asyncio
import json
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import httpx
import pytest

from convonet.storage.redis import Keys
from tests.conftest import LiveServer
from tests.fakes.twilio_rest import FakeTwilioREST
from tests.fakes.twilio_stream import Call, TwilioStreamClient, sign_in, stream_parameters
from tests.transfer.conftest import wait_for_transfer
from tests.transports.test_twilio import PUBLIC, TOKEN, greeted, heard, say, sign, stream_url

pytestmark = pytest.mark.integration


async def _heard_saying(
    client: TwilioStreamClient, since: float, words: str, within: float = 30.0
) -> str:
    """What the bot said after ``since``, once it contains ``words`` or ``within`` s passed.

    Under load Piper's sentences can come seconds apart, so one quiet gap is not the end.
    """
    deadline = time.monotonic() + within
    while True:
        await client.wait_for_quiet(0.8, within=within, since=since)
        reply = await heard(client, since=since)
        if words in reply or time.monotonic() > deadline:
            return reply
        await asyncio.sleep(0.5)


async def _context(server: LiveServer, call_sid: str) -> dict[str, Any]:
    raw = await server.on_loop(
        server.runtime.store.redis.get(Keys.callcenter_customer("2001", call_sid))
    )
    assert raw is not None, "no agent context stored"
    return dict(json.loads(raw))


async def test_without_twilio_credentials_the_transfer_is_refused_aloud(
    live_app: LiveServer,
) -> None:
    call = await sign_in(live_app.url)
    session_id = call.parameters["session_id"]
    async with TwilioStreamClient(stream_url(live_app), call) as client:
        await greeted(client)
        _, said = await say(client, "I want to talk to a real person.", pause=0.6)
        record = await wait_for_transfer(live_app, session_id, "failed", within=8.0)
        assert [step.status for step in record.history] == ["requested", "failed"]
        assert record.failure == "no Twilio credentials are configured"
        assert (record.department, record.extension) == ("support", "2001")
        # "No Twilio credentials are configured": Whisper tiny has heard "credentials" as
        # "or dentials", so the check keys on the words it hears reliably.
        reply = await _heard_saying(client, said, "configured")
        assert "sorry" in reply and "configured" in reply, reply
        context = await _context(live_app, call.call_sid)
        assert context["session_id"] == session_id and context["customer"]["name"]
        assert "real person" in context["transcript"][-1]["text"].lower()
        await client.hang_up()


async def test_asking_for_a_real_person_dials_extension_2001(
    twilio_server: tuple[LiveServer, FakeTwilioREST],
) -> None:
    await _dial_flow(*twilio_server)


def _updates_of(fake: FakeTwilioREST, call_sid: str) -> list[Any]:
    return [r for r in fake.call_updates() if r.path.endswith(f"/Calls/{call_sid}.json")]


async def _dial_flow(server: LiveServer, fake: FakeTwilioREST) -> None:
    call = await sign_in(server.url, auth_token=TOKEN, public_url=PUBLIC)
    session_id = call.parameters["session_id"]
    headers = sign(f"{PUBLIC.replace('https', 'wss')}/twilio/ws")
    async with TwilioStreamClient(stream_url(server), call, headers=headers) as client:
        await greeted(client)
        _, said = await say(client, "I want to talk to a real person.", pause=0.6)
        record = await wait_for_transfer(server, session_id, "initiated", within=8.0)
        assert record.call_sid == call.call_sid
        (update,) = _updates_of(fake, call.call_sid)
        assert update.path.endswith(f"/Calls/{call.call_sid}.json")
        sip = ET.fromstring(update.form["Twiml"]).find("./Dial/Sip")
        assert sip is not None and str(sip.text).startswith("sip:2001@pbx.example.com;")
        asked = datetime.fromisoformat(record.history[0].at).timestamp()
        assert update.at - asked < 1.0, "the <Dial> must reach Twilio within 1 s"
        assert "connecting you" in await _heard_saying(client, said, "connecting you")

        _, again = await say(client, "Operator!", pause=0.6)
        assert "already" in await _heard_saying(client, again, "already")
        assert len(_updates_of(fake, call.call_sid)) == 1
        assert await wait_for_transfer(server, session_id, "initiated", within=8.0) == record
        await client.hang_up()  # Twilio ends the stream when it starts dialing
    action = str(ET.fromstring(update.form["Twiml"]).find("./Dial").get("action"))  # type: ignore[union-attr]
    await _callback_failure_path(server, call, action)
    made = [r for r in fake.requests if call.call_sid in r.path]
    assert len(made) == 1, "the stream's end for the transfer must not hang up"


async def _callback(server: LiveServer, url: str, form: dict[str, str], signed: bool = True) -> Any:
    local = url.replace(PUBLIC, server.url)
    headers = sign(url, form) if signed else {}
    async with httpx.AsyncClient(timeout=12) as http:
        return await http.post(local, data=form, headers=headers)


async def _callback_failure_path(server: LiveServer, call: Call, action: str) -> None:
    session_id = call.parameters["session_id"]
    form = call.form(DialCallStatus="no-answer")
    assert (await _callback(server, action, form, signed=False)).status_code == 403
    unknown = action.replace(session_id, "nobody")
    missing = await _callback(server, unknown, form)
    assert missing.status_code == 404 and "no transfer" in missing.text
    bad = await _callback(server, action, call.form(DialCallStatus="exploded"))
    assert bad.status_code == 400

    answer = await _callback(server, action, form)
    assert answer.status_code == 200
    root = ET.fromstring(answer.text)
    assert "nobody is free" in "".join(root.itertext())
    assert stream_parameters(root) == {"session_id": session_id}
    record = await wait_for_transfer(server, session_id, "failed", within=8.0)
    assert record.failure == "no-answer"
    again = await _callback(server, action, form)  # finished: nothing changes
    assert again.status_code == 404
    assert await wait_for_transfer(server, session_id, "failed", within=8.0) == record

    back = Call(call_sid=call.call_sid, parameters={"session_id": session_id})
    headers = sign(f"{PUBLIC.replace('https', 'wss')}/twilio/ws")
    async with TwilioStreamClient(stream_url(server), back, headers=headers) as client:
        assert "how else can i help" in await greeted(client)
        _, asked = await say(client, "What time is it?")
        await client.wait_for_quiet(2.0, within=20, since=asked)
        assert "it's" in await heard(client, since=asked) or "it is" in await heard(
            client, since=asked
        )
        await client.hang_up()
    history: list[dict[str, str]] = []
    deadline = time.monotonic() + 5
    while not any("time is it" in m["content"].lower() for m in history):
        assert time.monotonic() < deadline, history
        await asyncio.sleep(0.1)
        history = await server.on_loop(server.runtime.store.get_history(session_id))
    said = [m["content"].lower() for m in history if m["role"] == "user"]
    # The second stream's conversation started from the first one's: both are in it, in order.
    assert "real person" in said[0] and "time is it" in said[-1], said
