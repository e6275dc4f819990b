"""Cloud STT/TTS services built by convonet's factory, run in real pipelines against fakes.

Each service is pipecat's own client (Deepgram SDK, websockets) pointed at a local fake
server from :mod:`tests.fakes` that speaks the provider's wire protocol.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from pipecat.frames.frames import (
    EndFrame,
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    InterimTranscriptionFrame,
    InterruptionFrame,
    StartFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    TTSTextFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.utils.errors import ErrorCategory
from pipecat.workers.runner import WorkerRunner

from convonet.errors import ConfigurationError, UnknownProviderError
from convonet.services.models import EmbeddedModels
from convonet.services.speech import check_stt, check_tts, create_stt, create_tts
from convonet.settings import Settings, TtsProvider
from tests.fakes.cartesia import FakeCartesia
from tests.fakes.deepgram import FakeDeepgramSTT, FakeDeepgramTTS
from tests.fakes.elevenlabs import FakeElevenLabs
from tests.fakes.provider import FakeProviderServer, RecordedConnection, tone_for_text

KEY = "test-key-0123456789"
WRONG_KEY = "wrong-key-9876543210"
TEXT = "Hello from the test."
IN_RATE = 16000
OUT_RATE = 24000
WAIT_SECS = 10.0

F = TypeVar("F", bound=Frame)


class FrameLog(FrameProcessor):
    """Passes every frame on and remembers those travelling in one direction."""

    def __init__(self, direction: FrameDirection) -> None:
        super().__init__()
        self._direction = direction
        self._arrived = asyncio.Event()
        self.frames: list[Frame] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction == self._direction and not isinstance(frame, StartFrame):
            self.frames.append(frame)
            self._arrived.set()
        await self.push_frame(frame, direction)

    def of_type(self, frame_type: type[F]) -> list[F]:
        return [f for f in self.frames if isinstance(f, frame_type)]

    async def wait_for(self, frame_type: type[F]) -> F:
        """Return the first frame of ``frame_type``, waiting (up to WAIT_SECS) if need be."""
        async with asyncio.timeout(WAIT_SECS):
            while True:
                if found := self.of_type(frame_type):
                    return found[0]
                self._arrived.clear()
                await self._arrived.wait()


@dataclass
class Run:
    """A running pipeline ``[upstream log, service, downstream log]``."""

    worker: PipelineWorker
    up: FrameLog
    down: FrameLog

    async def send(self, *frames: Frame) -> None:
        await self.worker.queue_frames(frames)


@asynccontextmanager
async def running(service: FrameProcessor) -> AsyncIterator[Run]:
    """Run ``service`` in a real pipeline; end it with an EndFrame on exit."""
    up, down = FrameLog(FrameDirection.UPSTREAM), FrameLog(FrameDirection.DOWNSTREAM)
    worker = PipelineWorker(
        Pipeline([up, service, down]),
        cancel_on_idle_timeout=False,
        params=PipelineParams(audio_in_sample_rate=IN_RATE, audio_out_sample_rate=OUT_RATE),
    )
    started = asyncio.Event()

    @worker.event_handler("on_pipeline_started")
    async def _on_started(worker: PipelineWorker, frame: Frame) -> None:
        started.set()

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    task = asyncio.create_task(runner.run())
    try:
        async with asyncio.timeout(WAIT_SECS):
            await started.wait()
        yield Run(worker, up, down)
        await worker.queue_frame(EndFrame())
        async with asyncio.timeout(WAIT_SECS):
            await task
    finally:
        if not task.done():
            await worker.cancel()
            await task


def settings_for(**overrides: Any) -> Settings:
    """Settings that never read the environment's keys or a ``.env`` file."""
    base: dict[str, Any] = dict.fromkeys(
        ("deepgram_api_key", "elevenlabs_api_key", "cartesia_api_key")
    )
    return Settings(_env_file=None, **(base | overrides))  # type: ignore[call-arg,arg-type]


def pcm(seconds: float, rate: int = IN_RATE) -> bytes:
    """Deterministic 16-bit speech-band audio (the fakes' own tone) lasting ``seconds``."""
    return tone_for_text("x" * round(seconds * 20), rate, ms_per_char=50)


def audio_frames(data: bytes, frame_ms: int = 20) -> list[InputAudioRawFrame]:
    size = IN_RATE * frame_ms // 1000 * 2
    return [
        InputAudioRawFrame(audio=data[i : i + size], sample_rate=IN_RATE, num_channels=1)
        for i in range(0, len(data), size)
    ]


async def speak(
    provider: TtsProvider, settings: Settings, text: str = TEXT, voice: str | None = None
) -> Run:
    """Speak ``text`` through the factory's service; return once its audio is complete."""
    tts = create_tts(provider, settings, EmbeddedModels(settings), voice=voice)
    async with running(tts) as run:
        await run.send(TTSSpeakFrame(text))
        await run.down.wait_for(TTSStoppedFrame)
    return run


async def finished(connection: RecordedConnection) -> RecordedConnection:
    async with asyncio.timeout(WAIT_SECS):
        await connection.finished.wait()
    return connection


# --- Deepgram STT -------------------------------------------------------------------------


async def test_deepgram_stt_streams_audio_and_pushes_transcription() -> None:
    async with FakeDeepgramSTT(api_key=KEY, transcript="Book a table for two.") as fake:
        settings = settings_for(deepgram_api_key=KEY, deepgram_stt_url=fake.url)
        stt = create_stt("deepgram", settings, EmbeddedModels(settings))
        audio = pcm(0.6)
        async with running(stt) as run:
            await run.send(*audio_frames(audio))
            final = await run.down.wait_for(TranscriptionFrame)
            interim = run.down.of_type(InterimTranscriptionFrame)
        connection = await finished(fake.connections[0])

    assert final.text == "Book a table for two."
    assert [f.text for f in interim] == ["Book a"]  # the fake's halfway result
    assert run.down.frames.index(interim[0]) < run.down.frames.index(final)
    assert connection.path == "/v1/listen"
    assert connection.headers["authorization"] == f"Token {KEY}"
    expected_query = {
        "encoding": "linear16",
        "sample_rate": "16000",
        "channels": "1",
        "model": "nova-3-general",
        "interim_results": "true",
    }
    assert connection.query | expected_query == connection.query
    assert connection.audio_received == audio
    assert {"type": "CloseStream"} in connection.json_received
    assert not fake.errors


async def test_deepgram_stt_finalizes_when_the_user_stops_speaking() -> None:
    async with FakeDeepgramSTT(api_key=KEY, transcript="Cancel it.", final_after_secs=None) as fake:
        settings = settings_for(deepgram_api_key=KEY, deepgram_stt_url=fake.url)
        stt = create_stt("deepgram", settings, EmbeddedModels(settings))
        async with running(stt) as run:
            await run.send(VADUserStartedSpeakingFrame(), *audio_frames(pcm(0.3)))
            await run.send(VADUserStoppedSpeakingFrame())
            final = await run.down.wait_for(TranscriptionFrame)
        connection = await finished(fake.connections[0])

    assert final.text == "Cancel it."
    assert getattr(final.result, "from_finalize", None) is True  # the raw Deepgram result
    assert {"type": "Finalize"} in connection.json_received
    assert not fake.errors


async def test_deepgram_stt_wrong_key_reports_an_authentication_error() -> None:
    async with FakeDeepgramSTT(api_key=KEY) as fake:
        settings = settings_for(deepgram_api_key=WRONG_KEY, deepgram_stt_url=fake.url)
        stt = create_stt("deepgram", settings, EmbeddedModels(settings))
        async with running(stt) as run:
            error = await run.up.wait_for(ErrorFrame)
            await run.send(*audio_frames(pcm(0.1)))  # audio after the failure is harmless

    assert error.category is ErrorCategory.AUTHENTICATION
    assert "401" in error.error
    assert not run.down.of_type(TranscriptionFrame)
    assert fake.connections == []
    assert [r.status for r in fake.rejected] == [401]
    assert fake.rejected[0].headers["authorization"] == f"Token {WRONG_KEY}"


# --- TTS ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TtsCase:
    """How to stand up one TTS provider and read what its fake saw."""

    provider: TtsProvider
    fake: Callable[[str], FakeProviderServer]
    settings: Callable[[str, str], dict[str, Any]]
    key_of: Callable[[RecordedConnection], str | None]
    texts_of: Callable[[RecordedConnection], list[str]]
    interrupted: Callable[[RecordedConnection], bool]
    stops_on_interrupt: bool = True


TTS_CASES = [
    TtsCase(
        "deepgram",
        lambda key: FakeDeepgramTTS(api_key=key),
        lambda key, url: {"deepgram_api_key": key, "deepgram_tts_url": url},
        lambda c: c.headers.get("authorization", "").removeprefix("Token ") or None,
        lambda c: [m["text"] for m in c.json_received if m.get("type") == "Speak"],
        lambda c: any(m.get("type") == "Cleared" for m in c.json_sent),
    ),
    TtsCase(
        "elevenlabs",
        lambda key: FakeElevenLabs(api_key=key),
        lambda key, url: {"elevenlabs_api_key": key, "elevenlabs_url": url},
        lambda c: c.headers.get("xi-api-key"),
        lambda c: [m["text"] for m in c.json_received if m.get("text", "").strip()],
        lambda c: any(m.get("close_context") for m in c.json_received),
        # ElevenLabs finishes what it queued for a closed context; pipecat drops it.
        stops_on_interrupt=False,
    ),
    TtsCase(
        "cartesia",
        lambda key: FakeCartesia(api_key=key),
        lambda key, url: {"cartesia_api_key": key, "cartesia_url": url},
        lambda c: c.headers.get("x-api-key"),
        lambda c: [m["transcript"] for m in c.json_received if m.get("transcript")],
        lambda c: any(m.get("cancel") for m in c.json_received),
    ),
]


@pytest.mark.parametrize("case", TTS_CASES, ids=lambda c: c.provider)
async def test_tts_speaks_the_fake_providers_audio(case: TtsCase) -> None:
    async with case.fake(KEY) as fake:
        run = await speak(case.provider, settings_for(**case.settings(KEY, fake.url)))
        connection = await finished(fake.connections[0])

    assert case.key_of(connection) == KEY
    assert "".join(case.texts_of(connection)).strip() == TEXT
    [utterance] = connection.utterances
    assert utterance.text.strip() == TEXT
    assert utterance.sample_rate == OUT_RATE
    assert utterance.pcm == tone_for_text(utterance.text, OUT_RATE)
    assert connection.audio_sent == utterance.pcm

    frames = run.down.of_type(TTSAudioRawFrame)
    audio = b"".join(f.audio for f in frames)
    assert audio[: len(utterance.pcm)] == utterance.pcm
    assert not audio[len(utterance.pcm) :].strip(b"\x00")  # only pipecat's trailing silence
    assert {f.sample_rate for f in frames} == {OUT_RATE}
    [started] = run.down.of_type(TTSStartedFrame)
    assert run.down.frames.index(started) < run.down.frames.index(frames[0])
    assert not fake.errors


@pytest.mark.parametrize("case", TTS_CASES, ids=lambda c: c.provider)
async def test_tts_wrong_key_reports_an_authentication_error(case: TtsCase) -> None:
    async with case.fake(KEY) as fake:
        settings = settings_for(**case.settings(WRONG_KEY, fake.url))
        tts = create_tts(case.provider, settings, EmbeddedModels(settings))
        async with running(tts) as run:
            error = await run.up.wait_for(ErrorFrame)

    assert error.category is ErrorCategory.AUTHENTICATION
    assert "401" in error.error
    assert WRONG_KEY not in error.error
    assert not run.down.of_type(TTSAudioRawFrame)
    assert fake.connections == []
    assert fake.rejected[0].status == 401


@pytest.mark.parametrize("case", TTS_CASES, ids=lambda c: c.provider)
async def test_tts_interruption_tells_the_provider(case: TtsCase) -> None:
    fake = case.fake(KEY)
    fake.chars_per_chunk, fake.chunk_delay = 2, 0.1  # ~1 s of streaming for TEXT
    async with fake:
        settings = settings_for(**case.settings(KEY, fake.url))
        tts = create_tts(case.provider, settings, EmbeddedModels(settings))
        async with running(tts) as run:
            await run.send(TTSSpeakFrame(TEXT))
            await run.down.wait_for(TTSAudioRawFrame)
            await run.send(InterruptionFrame())
            connection = fake.connections[0]
            async with asyncio.timeout(WAIT_SECS):
                await connection.wait_until(lambda c: case.interrupted(c) and bool(c.streams))

    [utterance] = connection.utterances
    assert connection.streams == [not case.stops_on_interrupt]
    if case.stops_on_interrupt:
        assert 0 < len(connection.audio_sent) < len(utterance.pcm)
    assert not run.down.of_type(TTSStoppedFrame)  # the interrupted context never completed
    assert not fake.errors


async def test_one_fake_serves_concurrent_sessions() -> None:
    texts = ["First session speaking.", "Second one."]
    async with FakeCartesia(api_key=KEY, latency=0.05) as fake:
        settings = settings_for(cartesia_api_key=KEY, cartesia_url=fake.url)
        runs = await asyncio.gather(*(speak("cartesia", settings, text) for text in texts))

    audio = [b"".join(f.audio for f in run.down.of_type(TTSAudioRawFrame)) for run in runs]

    assert len(fake.connections) == 2
    for text, received in zip(texts, audio, strict=True):
        expected = tone_for_text(text, OUT_RATE)
        assert received[: len(expected)] == expected
        assert not received[len(expected) :].strip(b"\x00")


async def test_deepgram_tts_asks_for_the_configured_voice_and_rate() -> None:
    async with FakeDeepgramTTS(api_key=KEY) as fake:
        settings = settings_for(deepgram_api_key=KEY, deepgram_tts_url=fake.url)
        await speak("deepgram", settings, voice="aura-2-thalia-en")
        connection = await finished(fake.connections[0])

    assert connection.query == {
        "model": "aura-2-thalia-en",
        "encoding": "linear16",
        "sample_rate": str(OUT_RATE),
    }
    assert [m["type"] for m in connection.json_received] == ["Speak", "Flush", "Close"]
    assert {"type": "Flushed", "sequence_id": 0} in connection.json_sent


async def test_elevenlabs_uses_voice_path_contexts_and_alignment() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake:
        settings = settings_for(elevenlabs_api_key=KEY, elevenlabs_url=fake.url)
        run = await speak("elevenlabs", settings)
        connection = await finished(fake.connections[0])

    assert (
        connection.path == f"/v1/text-to-speech/{settings.elevenlabs_voice_id}/multi-stream-input"
    )
    assert connection.query["output_format"] == f"pcm_{OUT_RATE}"
    assert connection.query["model_id"] == "eleven_flash_v2_5"
    context_ids = {m["context_id"] for m in connection.json_received if "context_id" in m}
    [context_id] = context_ids
    assert {f.context_id for f in run.down.of_type(TTSAudioRawFrame) if f.context_id} == {
        context_id
    }
    assert {"isFinal": True, "contextId": context_id} in connection.json_sent
    # pipecat turns the fake's character alignment into word frames.
    assert " ".join(f.text for f in run.down.of_type(TTSTextFrame)) == TEXT


async def test_cartesia_sends_model_voice_and_timestamps() -> None:
    async with FakeCartesia(api_key=KEY) as fake:
        settings = settings_for(cartesia_api_key=KEY, cartesia_url=fake.url)
        run = await speak("cartesia", settings, voice="voice-123")
        connection = await finished(fake.connections[0])

    assert connection.headers["cartesia-version"]
    request = next(m for m in connection.json_received if m.get("transcript"))
    assert request["voice"] == {"mode": "id", "id": "voice-123"}
    assert request["output_format"] == {
        "container": "raw",
        "encoding": "pcm_s16le",
        "sample_rate": OUT_RATE,
    }
    assert request["model_id"]
    assert any(m["type"] == "done" for m in connection.json_sent)
    assert " ".join(f.text for f in run.down.of_type(TTSTextFrame)) == TEXT


# --- provider checks ----------------------------------------------------------------------


def test_check_rejects_unknown_provider_names() -> None:
    settings = settings_for(deepgram_api_key=KEY)
    with pytest.raises(UnknownProviderError):
        check_stt("google", settings)
    with pytest.raises(UnknownProviderError):
        check_tts("polly", settings)
    with pytest.raises(UnknownProviderError):
        check_stt("cartesia", settings)  # a TTS provider is not an STT provider


def test_check_rejects_cloud_providers_without_keys() -> None:
    settings = settings_for()
    with pytest.raises(UnknownProviderError):
        check_stt("deepgram", settings)
    for name in ("deepgram", "elevenlabs", "cartesia"):
        with pytest.raises(UnknownProviderError):
            check_tts(name, settings)
    assert check_stt("whisper", settings) == "whisper"
    assert check_tts("piper", settings) == "piper"


def test_check_accepts_configured_cloud_providers() -> None:
    settings = settings_for(deepgram_api_key=KEY, elevenlabs_api_key=KEY, cartesia_api_key=KEY)
    assert check_stt("deepgram", settings) == "deepgram"
    for name in ("deepgram", "elevenlabs", "cartesia"):
        assert check_tts(name, settings) == name


def test_create_without_a_key_is_a_configuration_error() -> None:
    settings = settings_for()
    models = EmbeddedModels(settings)
    with pytest.raises(ConfigurationError):
        create_stt("deepgram", settings, models)
    for name in ("deepgram", "elevenlabs", "cartesia"):
        with pytest.raises(ConfigurationError):
            create_tts(name, settings, models)  # type: ignore[arg-type]
