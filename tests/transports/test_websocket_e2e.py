"""End to end over ``/ws``: real speech in, real transcription, agent, real speech out."""

import asyncio
import itertools
import time

import pytest
from sqlalchemy import select

from convonet.domains.productivity.models import Todo
from convonet.storage.users import create_user
from tests.conftest import LiveServer, connect
from tests.fakes.speech import silence, synthesize, transcribe
from tests.fakes.voice_client import Received, VoiceClient

# Numbers the callers _new_caller makes (their emails and PINs).
_CALLERS = itertools.count()

pytestmark = [pytest.mark.slow, pytest.mark.integration]


async def _connect(live_app: LiveServer, **body: str) -> tuple[str, str]:
    answer = await connect(live_app.url, **body)
    ws_url = str(answer["ws_url"])
    assert ws_url.startswith(f"ws://127.0.0.1:{live_app.port}/ws?token=")
    return ws_url, str(answer["session_id"])


def _bot_texts(received: Received) -> str:
    return " ".join(received.texts("bot-output"))


async def test_greeting_then_spoken_question_gets_spoken_answer(live_app: LiveServer) -> None:
    ws_url, _ = await _connect(live_app)
    async with VoiceClient(ws_url) as client:
        connected = time.monotonic()
        await client.wait_for(lambda r: bool(r.rtvi("bot-started-speaking")), timeout=10)
        first_speech = client.received.rtvi("bot-started-speaking")
        assert first_speech
        greeting_started = next(
            t for t, m in client.received.messages if m["type"] == "bot-started-speaking"
        )
        assert greeting_started - connected < 2.0, "greeting must start within 2 s"
        await client.wait_for(lambda r: bool(r.rtvi("bot-stopped-speaking")), timeout=15)
        # The demo PIN signed in the demo user: the greeting uses their name.
        assert "Hello Demo, this is Convonet" in _bot_texts(client.received)

        asked = time.monotonic()
        await client.speak(synthesize("What time is it?") + silence(1.5))
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 2, timeout=20)

    user_text = " ".join(client.received.texts("user-transcription")).lower()
    assert "time" in user_text
    reply = [t for t in client.received.texts("bot-output") if t.startswith("It's")]
    assert reply, f"no spoken time reply in {client.received.texts('bot-output')}"
    heard = transcribe(client.received.audio_bytes(since=asked), client.received.audio_rate)
    assert "it's" in heard.lower() or "it is" in heard.lower(), heard


async def test_barge_in_stops_bot_and_keeps_only_spoken_part(live_app: LiveServer) -> None:
    ws_url, session_id = await _connect(live_app)
    async with VoiceClient(ws_url) as client:
        await client.wait_for(lambda r: bool(r.rtvi("bot-started-speaking")), timeout=10)
        voice = live_app.runtime.live.handle(session_id)
        # The greeting is two sentences (~3 s); talking at once interrupts the first one.
        await client.speak(synthesize("What time is it?") + silence(1.2))
        await client.wait_for(lambda r: bool(r.interruptions), timeout=10)
        await client.wait_for(
            lambda r: any(t.startswith("It's") for t in r.texts("bot-output")), timeout=20
        )
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 2, timeout=20)
        messages = voice.context.get_messages()

    roles = [m.get("role") for m in messages]
    assert "user" in roles, messages
    first_user = roles.index("user")
    assert "time" in str(messages[first_user]["content"]).lower()
    # Pipecat keeps only what was actually played: a prefix of the greeting, not all of it.
    spoken_greeting = " ".join(str(m["content"]) for m in messages[:first_user]).strip()
    assert spoken_greeting != voice.greeting
    assert voice.greeting.startswith(spoken_greeting)
    assert any(str(m["content"]).startswith("It's") for m in messages[first_user:]), messages
    # The interruption reached the caller before the bot's answer started.
    answer_start = max(
        t for t, m in client.received.messages if m["type"] == "bot-started-speaking"
    )
    assert client.received.interruptions[0] < answer_start


async def _todo_titles(live_app: LiveServer) -> list[str]:
    async def query() -> list[str]:
        async with live_app.runtime.db.session() as session:
            return list((await session.scalars(select(Todo.title))).all())

    future = asyncio.run_coroutine_threadsafe(query(), live_app.loop)
    return await asyncio.wrap_future(future)


def _replies_after(received: Received, since: float) -> list[str]:
    return [
        str(m.get("data", {}).get("text", ""))
        for t, m in received.messages
        if t >= since and m.get("type") == "bot-output" and m.get("data", {}).get("spoken")
    ]


async def _new_caller(live_app: LiveServer) -> str:
    """A user of their own, so other tests' to-dos don't crowd the read-back; returns the PIN.

    Each call makes a new user: the slow-test rerun runs against the same server and
    database, and the first attempt's user (email and PIN) is already there.
    """
    serial = next(_CALLERS)
    pin = str(736251 + serial)

    async def create() -> None:
        async with live_app.runtime.db.session() as session:
            await create_user(
                session,
                pin_secret=live_app.runtime.settings.pin_hash_secret,
                email=f"robin{serial}@example.com",
                name="Robin Milk",
                pin=pin,
            )

    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(create(), live_app.loop))
    return pin


async def test_spoken_todo_is_created_and_read_back(live_app: LiveServer) -> None:
    pin = await _new_caller(live_app)
    ws_url, _ = await _connect(live_app, pin=pin)
    async with VoiceClient(ws_url) as client:
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 1, timeout=15)

        asked = time.monotonic()
        await client.speak(synthesize("Add buy milk to my to-do list.") + silence(1.5))
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 2, timeout=25)
        confirmation = " ".join(_replies_after(client.received, asked))
        assert "to your to-do list" in confirmation and "milk" in confirmation, confirmation
        assert any("milk" in title for title in await _todo_titles(live_app))
        heard = transcribe(client.received.audio_bytes(since=asked), client.received.audio_rate)
        assert "milk" in heard.lower(), heard

        asked = time.monotonic()
        await client.speak(synthesize("What's on my list?") + silence(1.5))
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 3, timeout=25)
    readback = " ".join(_replies_after(client.received, asked))
    assert "1 open to-do" in readback and "milk" in readback, readback
