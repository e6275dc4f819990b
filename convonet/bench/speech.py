"""Real speech for benchmarks and tests, synthesized with the app's own Piper voice.

The voice is loaded once per process; utterances are cached by text and rate.
"""

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from convonet.settings import Settings

PCM_RATE = 16000
# Peak level (16-bit) above which a 10 ms window counts as speech when looking for its end.
_SPEECH_LEVEL = 500
_WINDOW_SECS = 0.01


@dataclass(frozen=True)
class Turn:
    """One thing the benchmark caller says.

    Attributes:
        text: What is said (and what an instant STT hears).
        tool: The tool the offline agent is expected to call, if any.
    """

    text: str
    tool: str | None = None


# Varied utterances the offline agent answers; three call tools (one on the MCP todo server).
# No commas: Piper pauses at them, and a pause can end the turn early (see docs/benchmarks.md).
TURNS: tuple[Turn, ...] = (
    Turn("What time is it?", tool="get_current_datetime"),
    Turn("What can you do?"),
    Turn("Add buy milk to my to-do list.", tool="create_todo"),
    Turn("Hello how are you today?"),
    Turn("What day is it today?", tool="get_current_datetime"),
    Turn("Thanks that is very helpful."),
)


def turns(count: int) -> list[Turn]:
    """The first ``count`` benchmark turns, cycling through :data:`TURNS`."""
    return [TURNS[index % len(TURNS)] for index in range(count)]


@functools.cache
def _voice() -> Any:
    from piper import PiperVoice

    settings = Settings()
    return PiperVoice.load(settings.resolved_piper_voice_dir / f"{settings.piper_voice}.onnx")


@functools.cache
def synthesize(text: str, sample_rate: int = PCM_RATE) -> bytes:
    """Speak ``text`` with the Piper voice and return mono 16-bit PCM at ``sample_rate``."""
    import soxr

    voice = _voice()
    pcm = b"".join(chunk.audio_int16_bytes for chunk in voice.synthesize(text))
    samples = np.frombuffer(pcm, dtype=np.int16)
    if voice.config.sample_rate != sample_rate:
        resampled = soxr.resample(samples, voice.config.sample_rate, sample_rate)
        samples = np.clip(resampled, -32768, 32767).astype(np.int16)
    return samples.tobytes()


def silence(seconds: float, sample_rate: int = PCM_RATE) -> bytes:
    """Return ``seconds`` of digital silence as 16-bit PCM."""
    return b"\x00\x00" * int(seconds * sample_rate)


def speech_end_secs(pcm: bytes, sample_rate: int = PCM_RATE) -> float:
    """Where speech ends in ``pcm``: the end of the last 10 ms window above speech level.

    Piper pads its output with quiet; the benchmarks time the caller's real end of speech.
    Returns 0.0 for audio with no speech.
    """
    samples = np.abs(np.frombuffer(pcm, dtype=np.int16).astype(np.int32))
    window = max(1, int(sample_rate * _WINDOW_SECS))
    usable = len(samples) - len(samples) % window
    if usable == 0:
        return 0.0
    peaks = samples[:usable].reshape(-1, window).max(axis=1)
    loud = np.nonzero(peaks > _SPEECH_LEVEL)[0]
    if len(loud) == 0:
        return 0.0
    return float((loud[-1] + 1) * window / sample_rate)
