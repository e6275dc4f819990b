"""Twilio phone calls: webhooks, signatures, and media streams end to end.

Every media-stream test first signs its call in the way Twilio would (the demo PIN keyed into
``/twilio/pin``, see :func:`sign_in`), then plays Twilio's side with
:class:`TwilioStreamClient`: real Piper speech as 8 kHz μ-law at real-time pace in, the bot's
μ-law audio out, transcribed with Whisper. PIN sign-in itself is tested in
``test_twilio_pin.py``.
"""

import asyncio
import base64
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from pipecat.audio.utils import create_stream_resampler, pcm_to_ulaw, ulaw_to_pcm
from pipecat.frames.frames import StartFrame
from twilio.request_validator import RequestValidator

from convonet.session import new_session_id
from convonet.storage.redis import CallSessionRecord
from convonet.transports import twilio
from convonet.transports.twilio import StreamStart, create_twilio_serializer
from tests.conftest import LiveServer
from tests.conftest import test_settings as make_settings
from tests.fakes import twilio_stream
from tests.fakes.speech import silence, synthesize, transcribe
from tests.fakes.twilio_stream import Call, TwilioStreamClient, gather_action, sign_in

RATE = twilio_stream.RATE
TOKEN = "test-auth-token"
PUBLIC = "https://voice.example.com"
FORM = {"CallSid": "CA123", "From": "+15551230001", "To": "+15559870002", "AccountSid": "AC1"}

slow = [pytest.mark.slow, pytest.mark.integration]


def stream_url(server: LiveServer) -> str:
    return f"ws://127.0.0.1:{server.port}/twilio/ws"


def sign(url: str, params: dict[str, str] | None = None) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, params or {})}


async def say(client: TwilioStreamClient, text: str, pause: float = 1.0) -> tuple[float, float]:
    """Speak ``text`` then ``pause`` s of silence; returns when the speech started and ended."""
    pcm = await asyncio.to_thread(synthesize, text, RATE)
    started = time.monotonic()
    await client.speak(pcm + silence(pause, RATE))
    return started, time.monotonic() - pause


async def heard(client: TwilioStreamClient, since: float = 0.0, until: float = float("inf")) -> str:
    audio = client.log.audio(since, until)
    return (await asyncio.to_thread(transcribe, audio, RATE)).lower()


async def greeted(client: TwilioStreamClient) -> str:
    """Wait for the greeting to be spoken and return what it sounded like."""
    await client.wait_for_quiet(0.8, within=15)
    return await heard(client)


@pytest.fixture(scope="module")
def secure_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with signatures required, a public URL and a small websocket message limit."""
    settings = make_settings(
        tmp_path_factory.mktemp("secure"),
        public_url=PUBLIC,
        twilio_auth_token=TOKEN,
        max_ws_message_bytes=4096,
    )
    server = LiveServer(settings)
    server.start()
    yield server
    server.stop()


# --- codec and serializer set-up (fast) ----------------------------------------------------


async def test_fake_codec_matches_pipecats_mulaw() -> None:
    pcm = synthesize("Testing the line.", RATE)
    ours = twilio_stream.pcm_to_ulaw(pcm)
    pipecats = await pcm_to_ulaw(pcm, RATE, RATE, create_stream_resampler())
    assert ours == pipecats
    assert twilio_stream.ulaw_to_pcm(ours) == await ulaw_to_pcm(
        ours, RATE, RATE, create_stream_resampler()
    )


def test_auto_hang_up_only_with_twilio_credentials(tmp_path: Path) -> None:
    start = StreamStart(stream_sid="MZ1", call_sid="CA1")
    local = create_twilio_serializer(make_settings(tmp_path), start)
    assert local._params.auto_hang_up is False
    token_only = create_twilio_serializer(make_settings(tmp_path, twilio_auth_token=TOKEN), start)
    assert token_only._params.auto_hang_up is False
    both = make_settings(tmp_path, twilio_auth_token=TOKEN, twilio_account_sid="AC1")
    assert create_twilio_serializer(both, start)._params.auto_hang_up is True


async def test_caller_audio_chunk_setting_joins_twilio_media(tmp_path: Path) -> None:
    start = StreamStart(stream_sid="MZ1", call_sid="CA1")
    off = make_settings(tmp_path, caller_audio_chunk_secs=0)
    assert create_twilio_serializer(off, start).chunker is None
    assert make_settings(tmp_path).caller_audio_chunk_secs == 0.06  # on by default
    settings = make_settings(tmp_path, caller_audio_chunk_secs=0.04)
    serializer = create_twilio_serializer(settings, start)
    await serializer.setup(StartFrame(audio_in_sample_rate=16000, audio_out_sample_rate=16000))
    ulaw = twilio_stream.pcm_to_ulaw(synthesize("Testing the line.", RATE))
    media = [  # 20 ms messages at 8 kHz, as Twilio sends them
        json.dumps({"event": "media", "media": {"payload": base64.b64encode(part).decode()}})
        for part in (ulaw[i : i + 160] for i in range(0, 8 * 160, 160))
    ]
    frames = [await serializer.deserialize(m) for m in media]
    joined = [f for f in frames if f is not None]
    # Pipecat's 8 -> 16 kHz stream resampler already hands audio on in bursts; whatever it
    # hands on goes out in frames of at least 40 ms.
    assert serializer.chunker is not None and serializer.chunker.chunk_secs == 0.04
    assert joined and all(len(f.audio) >= 2 * 640 for f in joined)


def test_stream_start_parsing() -> None:
    message = {
        "event": "start",
        "start": {"streamSid": "MZ9", "callSid": "CA9", "customParameters": {"bot": "x"}},
    }
    assert StreamStart.parse(message) == StreamStart("MZ9", "CA9", "", {"bot": "x"})
    assert StreamStart.parse({"event": "start", "start": {}}) is None
    assert StreamStart.parse({"event": "media", "start": {"streamSid": "MZ9"}}) is None


# --- webhooks --------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/pin"])
@pytest.mark.parametrize("query", ["bot=no-such-bot", "llm=no-such-llm"])
async def test_webhooks_for_a_misconfigured_number_apologise(
    live_app: LiveServer, path: str, query: str
) -> None:
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        response = await http.post(f"{path}?{query}", data={**FORM, "Digits": "1234"})
    assert response.status_code == 200
    root = ET.fromstring(response.text)
    assert root.find("./Connect") is None
    assert root.find("./Gather") is None
    assert "not set up correctly" in "".join(root.itertext())
    assert root.find("./Hangup") is not None


@pytest.mark.integration
async def test_status_callback_is_acknowledged(live_app: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        response = await http.post("/twilio/status", data={**FORM, "CallStatus": "completed"})
    assert response.status_code == 204


@pytest.mark.integration
async def test_webhooks_require_a_valid_signature(secure_app: LiveServer) -> None:
    voice_url = f"{PUBLIC}/twilio/voice?bot=assistant"
    async with httpx.AsyncClient(base_url=secure_app.url) as http:
        unsigned = await http.post("/twilio/voice?bot=assistant", data=FORM)
        forged = await http.post(
            "/twilio/voice?bot=assistant", data=FORM, headers={"X-Twilio-Signature": "AAAA"}
        )
        tampered = await http.post(
            "/twilio/voice?bot=assistant",
            data={**FORM, "From": "+15550000000"},
            headers=sign(voice_url, FORM),
        )
        signed = await http.post(
            "/twilio/voice?bot=assistant", data=FORM, headers=sign(voice_url, FORM)
        )
        status_unsigned = await http.post("/twilio/status", data=FORM)
        status_signed = await http.post(
            "/twilio/status", data=FORM, headers=sign(f"{PUBLIC}/twilio/status", FORM)
        )
    assert (unsigned.status_code, forged.status_code, tampered.status_code) == (403, 403, 403)
    assert "X-Twilio-Signature" in unsigned.text
    assert signed.status_code == 200, signed.text
    action = gather_action(ET.fromstring(signed.text))
    assert action == f"{PUBLIC}/twilio/pin?attempt=1&bot=assistant"
    assert (status_unsigned.status_code, status_signed.status_code) == (403, 204)


@pytest.mark.integration
async def test_stream_upgrade_requires_a_valid_signature(secure_app: LiveServer) -> None:
    for headers in ({}, {"X-Twilio-Signature": "AAAA"}, sign(f"{PUBLIC}/twilio/other")):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(stream_url(secure_app), additional_headers=headers)
        assert refused.value.response.status_code == 403
    assert len(secure_app.runtime.live) == 0


# --- media streams ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.integration
async def test_call_greets_then_answers_a_spoken_question(live_app: LiveServer) -> None:
    call = await sign_in(live_app.url)
    async with TwilioStreamClient(stream_url(live_app), call) as client:
        connected = time.monotonic()
        await client.wait_for(lambda log: bool(log.events("media")), within=10)
        assert client.log.media_times()[0] - connected < 2.0, "greeting must start within 2 s"
        greeting = await greeted(client)
        words = " ".join(re.findall(r"[a-z']+", greeting))
        assert "hello demo" in words, greeting  # by the demo user's first name
        assert "convonet" in greeting or "help" in greeting, greeting
        assert live_app.runtime.live.by_channel().get("twilio") == 1

        _, asked = await say(client, "What time is it?")
        await client.wait_for_quiet(0.8, within=15, since=asked)
        reply = await heard(client, since=asked)
        assert "it's" in reply or "it is" in reply, reply

        stream_sids = {m["streamSid"] for _, m in client.log.events("media")}
        assert stream_sids == {call.stream_sid}
        await client.hang_up()
    deadline = time.monotonic() + 5
    while live_app.runtime.live.by_channel().get("twilio"):
        assert time.monotonic() < deadline, "the session outlived the hang-up"
        await asyncio.sleep(0.05)


@pytest.mark.slow
@pytest.mark.integration
async def test_speaking_over_the_bot_clears_its_audio(live_app: LiveServer) -> None:
    async with TwilioStreamClient(stream_url(live_app), await sign_in(live_app.url)) as client:
        await client.wait_for_quiet(0.8, within=15)
        _, asked = await say(client, "What can you do?", pause=0.8)
        # Let about a second of the (several seconds long) answer play, then talk over it.
        await client.wait_for(lambda log: bool(log.media_times(asked)), within=10)
        await asyncio.sleep(1.0)
        barged, speech_ended = await say(client, "What time is it?")
        clears = [t for t, _ in client.log.events("clear") if t >= barged]
        assert clears, "Twilio was not told to clear the bot's queued audio"
        cleared = clears[0]
        assert cleared - barged < 1.5
        assert client.log.media_times(cleared - 0.25), "the bot was not speaking when cleared"
        # The old answer stops at once; the new one cannot start before the caller is done.
        stale = [t for t in client.log.media_times(cleared + 0.3) if t < speech_ended]
        assert not stale, f"{len(stale)} media messages of the interrupted answer after clear"
        await client.wait_for_quiet(0.8, within=15, since=speech_ended)
        reply = await heard(client, since=speech_ended)
        assert "it's" in reply or "it is" in reply, reply


@pytest.mark.slow
@pytest.mark.integration
async def test_bad_input_is_dropped_and_other_calls_are_unaffected(live_app: LiveServer) -> None:
    junk: list[str | bytes] = [
        "this is not json",
        '{"event": "media", "media": {"payl',
        json.dumps({"event": "media", "media": {"payload": "!!not base64!!"}}),
        json.dumps({"event": "media", "media": {"payload": "abc"}}),
        json.dumps({"event": "dance", "moves": 3}),
        json.dumps({"event": "dtmf", "dtmf": {"digit": "Z"}}),
        json.dumps([1, 2, 3]),
        "[" * 50_000 + "]" * 50_000,
        b"\x00\xff binary garbage",
    ]

    async def troubled_call() -> str:
        async with TwilioStreamClient(stream_url(live_app), await sign_in(live_app.url)) as client:
            await greeted(client)
            for message in junk:
                await client.send_raw(message)
            _, asked = await say(client, "What time is it?")
            await client.wait_for_quiet(0.8, within=15, since=asked)
            return await heard(client, since=asked)

    async def quiet_call() -> str:
        async with TwilioStreamClient(stream_url(live_app), await sign_in(live_app.url)) as client:
            return await greeted(client)

    troubled, other = await asyncio.gather(troubled_call(), quiet_call())
    assert "it's" in troubled or "it is" in troubled, troubled
    assert "convonet" in other or "help" in other, other


@pytest.mark.slow
@pytest.mark.integration
async def test_junk_before_start_is_ignored(live_app: LiveServer) -> None:
    call = await sign_in(live_app.url)
    async with TwilioStreamClient(stream_url(live_app), call, send_start=False) as client:
        for message in (
            "garbage",
            "{}",
            json.dumps({"event": "mark"}),
            "[" * 50_000 + "]" * 50_000,
            b"\x01\x02",
        ):
            await client.send_raw(message)
        await client.start()
        greeting = await greeted(client)
    assert "convonet" in greeting or "help" in greeting, greeting


@pytest.mark.integration
async def test_stream_without_start_is_closed_with_a_reason(
    live_app: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(twilio, "START_TIMEOUT_SECS", 0.5)
    async with TwilioStreamClient(stream_url(live_app), send_start=False) as client:
        await client.send_raw("not the start message")
        await client.wait_closed(within=5)
    assert client.log.close_code == twilio.CLOSE_NO_START
    assert "start" in client.log.close_reason


@pytest.mark.integration
async def test_stream_for_a_bot_the_server_no_longer_has_is_closed(live_app: LiveServer) -> None:
    call = Call()
    record = CallSessionRecord(
        session_id=new_session_id(),
        bot="retired-bot",
        channel="twilio",
        user_name="Demo User",
        metadata={"call_sid": call.call_sid},
    )
    saved = asyncio.run_coroutine_threadsafe(
        live_app.runtime.store.save_session(record, 60), live_app.loop
    )
    await asyncio.wrap_future(saved)
    call.parameters = {"session_id": record.session_id}
    async with TwilioStreamClient(stream_url(live_app), call) as client:
        await client.wait_closed(within=5)
    assert client.log.close_code == twilio.CLOSE_BAD_CALL
    assert "retired-bot" in client.log.close_reason


@pytest.mark.slow
@pytest.mark.integration
async def test_signed_stream_runs_and_oversized_message_closes_only_that_call(
    secure_app: LiveServer,
) -> None:
    headers = sign(f"{PUBLIC.replace('https', 'wss')}/twilio/ws")
    calls = [await sign_in(secure_app.url, auth_token=TOKEN, public_url=PUBLIC) for _ in range(2)]
    async with (
        TwilioStreamClient(stream_url(secure_app), calls[0], headers=headers) as victim,
        TwilioStreamClient(stream_url(secure_app), calls[1], headers=headers) as bystander,
    ):
        await victim.wait_for(lambda log: bool(log.events("media")), within=10)
        await bystander.wait_for(lambda log: bool(log.events("media")), within=10)
        oversized = base64.b64encode(b"\xff" * 4096).decode()
        await victim.send_raw(json.dumps({"event": "media", "media": {"payload": oversized}}))
        await victim.wait_closed(within=5)
        assert victim.log.close_code == 1009  # message too big
        greeting = await greeted(bystander)
        assert "convonet" in greeting or "help" in greeting, greeting
        assert not bystander.log.close_code
