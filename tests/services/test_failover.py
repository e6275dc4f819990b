"""A call's cloud STT or TTS dies or stalls mid-call: the embedded fallback takes over.

The services come from the call factories (``create_call_stt`` / ``create_call_tts``) with
``STT_FALLBACK=whisper`` / ``TTS_FALLBACK=piper``, run in a real pipeline against the local
fake providers; the fake is stopped (dies) or told to never answer (stalls) mid-call.
"""

import asyncio
import time

import pytest
from pipecat.frames.frames import (
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStoppedFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)

from convonet.bench.wer import word_error_rate
from convonet.services.models import EmbeddedModels
from convonet.services.speech import create_call_stt, create_call_tts
from tests.fakes.deepgram import FakeDeepgramSTT
from tests.fakes.elevenlabs import FakeElevenLabs
from tests.fakes.speech import synthesize, transcribe
from tests.services.test_cloud_providers import (
    KEY,
    OUT_RATE,
    audio_frames,
    pcm,
    running,
    settings_for,
)

TAKEOVER_LIMIT_SECS = 10.0  # the caller is answered (or heard) within this, never silence
REPLY = "Your table for two is booked for seven tonight."


async def _wait_for(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - polling state other tasks change
            await asyncio.sleep(0.05)


async def test_a_dead_cloud_stt_hands_the_call_to_whisper(models: EmbeddedModels) -> None:
    switched: list[tuple[str, str, str]] = []
    fake = FakeDeepgramSTT(api_key=KEY, transcript="Book a table for two.")
    await fake.start()
    settings = settings_for(deepgram_api_key=KEY, deepgram_stt_url=fake.url, stt_fallback="whisper")
    settings.speculative_stt = False  # segments cut by the VAD frames this test sends
    stt = create_call_stt("deepgram", settings, models, lambda *names: switched.append(names))
    async with running(stt) as run:
        await run.send(*audio_frames(pcm(0.6)))
        first = await run.down.wait_for(TranscriptionFrame)  # the cloud STT worked
        await fake.stop()  # ... and dies mid-call
        died = time.monotonic()
        await _wait_for(lambda: bool(switched), TAKEOVER_LIMIT_SECS)
        took_over = time.monotonic() - died
        speech = synthesize("What time is it?")
        await run.send(VADUserStartedSpeakingFrame(), *audio_frames(speech))
        await run.send(VADUserStoppedSpeakingFrame())
        await _wait_for(lambda: len(run.down.of_type(TranscriptionFrame)) >= 2, 20)

    assert first.text == "Book a table for two."
    assert switched == [("stt", "deepgram", "whisper")]
    heard = run.down.of_type(TranscriptionFrame)[-1].text.lower()
    assert "time" in heard, heard  # the caller is still understood, by the embedded model
    print(f"\nSTT died: whisper took over after {took_over:.1f} s")


@pytest.mark.parametrize("outage", ["dies", "stalls"])
async def test_a_dead_or_stalled_cloud_tts_hands_the_reply_to_piper(
    models: EmbeddedModels, outage: str
) -> None:
    switched: list[tuple[str, str, str]] = []
    fake = FakeElevenLabs(api_key=KEY)
    await fake.start()
    settings = settings_for(
        elevenlabs_api_key=KEY, elevenlabs_url=fake.url, tts_fallback="piper", tts_stall_secs=1.5
    )
    tts = create_call_tts("elevenlabs", settings, models, None, lambda *n: switched.append(n))
    try:
        async with running(tts) as run:
            await run.send(TTSSpeakFrame("Hello!"))  # the greeting, by the cloud TTS
            await run.down.wait_for(TTSStoppedFrame)
            if outage == "dies":
                await fake.stop()
            else:
                fake.latency = 3600.0  # connected, and never another byte of audio
            asked = time.monotonic()
            before = len(run.down.of_type(TTSAudioRawFrame))
            await run.send(LLMFullResponseStartFrame(), LLMTextFrame(REPLY))
            await run.send(LLMFullResponseEndFrame())
            await _wait_for(
                lambda: len(run.down.of_type(TTSStoppedFrame)) >= 2, TAKEOVER_LIMIT_SECS + 10
            )
            answered = time.monotonic() - asked
    finally:
        await fake.stop()

    assert switched == [("tts", "elevenlabs", "piper")]
    assert fake.connections[0].streams == [True]  # the cloud TTS voiced the greeting only
    audio = b"".join(f.audio for f in run.down.of_type(TTSAudioRawFrame)[before:])
    heard = transcribe(audio, OUT_RATE).lower()
    # The lost reply, spoken by Piper: Whisper hears it near enough (it has misheard one word,
    # "table" as "cable", on a loaded machine; a missing or wrong reply is most of its words).
    wer = word_error_rate([REPLY], [heard])
    assert wer is not None and wer <= 0.25, heard
    print(f"\nTTS {outage}: Piper finished the reply {answered:.1f} s after it was due")
