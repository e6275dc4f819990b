"""The Deepgram STT joins the caller's audio into fewer websocket messages, losing nothing.

Real pipecat service built by convonet's factory, against the local fake Deepgram server
(which records every message in order).
"""

import json

import pytest
from pipecat.frames.frames import (
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)

from convonet.services.deepgram_stt import JoinedDeepgramSTTService
from convonet.services.models import EmbeddedModels
from convonet.services.speech import create_stt
from convonet.services.speech_http import SpeechHttp
from tests.fakes.deepgram import FakeDeepgramSTT
from tests.services.test_cloud_providers import (
    IN_RATE,
    KEY,
    audio_frames,
    finished,
    pcm,
    running,
    settings_for,
)


def audio_messages_before_finalize(received: list[str | bytes]) -> list[bytes]:
    """The binary messages the client sent before its first ``Finalize``."""
    first_finalize = next(
        i
        for i, m in enumerate(received)
        if isinstance(m, str) and json.loads(m).get("type") == "Finalize"
    )
    return [m for m in received[:first_finalize] if isinstance(m, bytes)]


@pytest.mark.parametrize("shared_http", [True, False])
async def test_audio_goes_in_joined_messages_and_all_of_it_before_the_finalize(
    shared_http: bool,
) -> None:
    http = SpeechHttp() if shared_http else None
    async with FakeDeepgramSTT(
        api_key=KEY, transcript="Book a table for two.", final_after_secs=None
    ) as fake:
        settings = settings_for(
            deepgram_api_key=KEY, deepgram_stt_url=fake.url, stt_send_chunk_secs=0.1
        )
        stt = create_stt("deepgram", settings, EmbeddedModels(settings), http)
        assert isinstance(stt, JoinedDeepgramSTTService)
        # 0.5 s in 20 ms frames, then 0.03 s more: the VAD stop finds 30 ms still held.
        audio = pcm(0.53)
        async with running(stt) as run:
            await run.send(VADUserStartedSpeakingFrame(), *audio_frames(audio))
            await run.send(VADUserStoppedSpeakingFrame())
            final = await run.down.wait_for(TranscriptionFrame)
        connection = await finished(fake.connections[0])

    messages = audio_messages_before_finalize(connection.received)
    assert b"".join(messages) == audio  # every byte, in order, before the final was asked
    tenth = round(0.1 * IN_RATE) * 2
    assert [len(m) for m in messages] == [tenth] * 5 + [len(audio) - 5 * tenth]
    assert final.text == "Book a table for two."
    assert getattr(final.result, "from_finalize", None) is True
    assert not fake.errors
    if http is not None:
        await http.aclose()


async def test_zero_sends_every_frame_as_it_comes() -> None:
    async with FakeDeepgramSTT(api_key=KEY, transcript="Cancel it.") as fake:
        settings = settings_for(
            deepgram_api_key=KEY, deepgram_stt_url=fake.url, stt_send_chunk_secs=0.0
        )
        stt = create_stt("deepgram", settings, EmbeddedModels(settings))
        frames = audio_frames(pcm(0.2))
        async with running(stt) as run:
            await run.send(VADUserStartedSpeakingFrame(), *frames)
            await run.send(VADUserStoppedSpeakingFrame())
            await run.down.wait_for(TranscriptionFrame)
        connection = await finished(fake.connections[0])

    messages = audio_messages_before_finalize(connection.received)
    assert messages == [frame.audio for frame in frames]
