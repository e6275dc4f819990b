"""The phrase path over a simulated Twilio media stream: real speech, no LLM round trip.

The caller (Piper speech as 8 kHz μ-law at real-time pace) asks for a real person; the
transfer to support (2001) is recorded in ``transfer:{session}``, the bot says the hand-off
line and the agent's context (the conversation so far) is stored. A second ask while it is
under way is answered politely and changes nothing.
"""

import asyncio
import json
import time
from typing import Any

import pytest

from convonet.storage.redis import Keys, TransferRecord
from tests.conftest import LiveServer
from tests.fakes.twilio_stream import TwilioStreamClient, sign_in
from tests.transports.test_twilio import greeted, heard, say, stream_url

pytestmark = pytest.mark.integration


async def _transfer(server: LiveServer, session_id: str) -> TransferRecord | None:
    future = asyncio.run_coroutine_threadsafe(
        server.runtime.store.get_transfer(session_id), server.loop
    )
    return await asyncio.wrap_future(future)


async def _context(server: LiveServer, call_sid: str) -> dict[str, Any]:
    key = Keys.callcenter_customer("2001", call_sid)
    deadline = time.monotonic() + 5
    while True:
        future = asyncio.run_coroutine_threadsafe(server.runtime.store.redis.get(key), server.loop)
        raw = await asyncio.wrap_future(future)
        if raw is not None:
            return dict(json.loads(raw))
        assert time.monotonic() < deadline, "no agent context stored"
        await asyncio.sleep(0.05)


async def test_asking_for_a_real_person_starts_the_transfer(live_app: LiveServer) -> None:
    call = await sign_in(live_app.url)
    session_id = call.parameters["session_id"]
    async with TwilioStreamClient(stream_url(live_app), call) as client:
        await greeted(client)
        _, said = await say(client, "I want to talk to a real person.", pause=0.6)
        record = None
        while record is None:
            assert time.monotonic() - said < 5, "no transfer recorded"
            record = await _transfer(live_app, session_id)
            await asyncio.sleep(0.05)
        assert (record.status, record.department, record.extension) == (
            "requested",
            "support",
            "2001",
        )
        assert "real person" in record.reason.lower()
        await client.wait_for_quiet(0.8, within=15, since=said)
        reply = await heard(client, since=said)
        assert "connecting you" in reply and "support" in reply, reply

        context = await _context(live_app, call.call_sid)
        assert context["session_id"] == session_id and context["customer"]["name"]
        said = [t["text"].lower() for t in context["transcript"] if t["role"] == "user"]
        assert said and "real person" in said[-1], context
        assert "real person" in context["summary"].lower()

        _, again = await say(client, "Operator!", pause=0.6)
        await client.wait_for_quiet(0.8, within=15, since=again)
        assert "already" in await heard(client, since=again)
        assert await _transfer(live_app, session_id) == record
        await client.hang_up()
