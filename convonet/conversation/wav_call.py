"""``convonet call``: one call from a WAV file through the full voice pipeline, offline."""

import asyncio
import io
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soxr
from pipecat.frames.frames import (
    BotStoppedSpeakingFrame,
    EndFrame,
    LLMTextFrame,
    TranscriptionFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed

from convonet.errors import ConvonetError
from convonet.pipeline import build_pipeline
from convonet.runtime import Runtime
from convonet.session import CallSession
from convonet.transports.wav_file import WavFileTransport

PIPELINE_RATE = 16000


@dataclass
class CallResult:
    """What happened on the call."""

    transcript: str = ""
    reply: str = ""
    voice_to_voice_secs: float | None = None
    audio: bytes = b""
    sample_rate: int = 0
    replies: list[str] = field(default_factory=list)


def read_wav(path: Path) -> bytes:
    """Read a WAV file as 16 kHz mono 16-bit PCM (mixing down and resampling as needed).

    Raises:
        ConvonetError: The file is not 16-bit PCM WAV.
    """
    try:
        with wave.open(str(path), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as error:
        raise ConvonetError(f"{path}: not a readable WAV file ({error})") from error
    if width != 2:
        raise ConvonetError(f"{path}: expected 16-bit PCM, got {8 * width}-bit samples")
    samples = np.frombuffer(frames, dtype=np.int16).reshape(-1, channels).mean(axis=1)
    if rate != PIPELINE_RATE:
        samples = soxr.resample(samples, rate, PIPELINE_RATE)
    return np.clip(samples, -32768, 32767).astype(np.int16).tobytes()


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    """Wrap 16-bit mono PCM in a WAV container."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


class _CallRecorder(BaseObserver):
    """Collects the transcript and reply, and notices when the bot has answered."""

    def __init__(self, result: CallResult) -> None:
        super().__init__()
        self._result = result
        self._current = ""
        self.answered = asyncio.Event()
        self._seen: set[int] = set()

    async def on_push_frame(self, data: FramePushed) -> None:
        frame = data.frame
        if frame.id in self._seen:
            return
        self._seen.add(frame.id)
        if isinstance(frame, TranscriptionFrame):
            self._result.transcript = " ".join((self._result.transcript, frame.text)).strip()
        elif isinstance(frame, LLMTextFrame):
            self._current += frame.text
        elif isinstance(frame, BotStoppedSpeakingFrame) and self._result.transcript:
            if self._current:
                self._result.replies.append(self._current.strip())
                self._current = ""
            self.answered.set()


async def run_wav_call(
    runtime: Runtime, pcm: bytes, session: CallSession, *, timeout_secs: float = 60.0
) -> CallResult:
    """Play ``pcm`` (16 kHz mono) as ``session``'s caller; return what the bot heard and said."""
    await runtime.ensure_ready()
    transport = WavFileTransport(pcm, PIPELINE_RATE)
    result = CallResult()
    recorder = _CallRecorder(result)
    voice = build_pipeline(transport, session, runtime, observers=[recorder])

    @voice.latency.event_handler("on_latency_measured")
    async def on_latency(_observer: object, seconds: float) -> None:
        if result.voice_to_voice_secs is None:
            result.voice_to_voice_secs = seconds

    async def finish() -> None:
        # Stop once the bot has answered and the file is done, or when time runs out.
        try:
            async with asyncio.timeout(timeout_secs):
                await recorder.answered.wait()
                await transport.input().finished.wait()
        finally:
            await voice.worker.queue_frame(EndFrame())

    stopper = asyncio.create_task(finish())
    try:
        await voice.run()
    finally:
        stopper.cancel()
    result.reply = " ".join(result.replies)
    result.audio, result.sample_rate = transport.output_audio, transport.output_sample_rate
    return result
