"""Real speech for tests: Piper synthesis (shared with the benchmarks) and Whisper checks.

:func:`synthesize` and :func:`silence` come from :mod:`convonet.bench.speech`; the voice is
loaded once per test process and utterances are cached by text and rate.
"""

import functools

import numpy as np
import soxr

from convonet.bench.speech import silence, synthesize
from convonet.conversation.wav_call import wav_bytes
from convonet.settings import Settings

__all__ = ["silence", "synthesize", "to_wav", "transcribe"]


def to_wav(pcm: bytes, sample_rate: int = 16000) -> bytes:
    """Wrap mono 16-bit PCM in a WAV container."""
    return wav_bytes(pcm, sample_rate)


def transcribe(pcm: bytes, sample_rate: int = 16000) -> str:
    """Transcribe 16-bit PCM with the bundled Whisper model (to check bot audio)."""
    model = _whisper()
    samples = np.frombuffer(pcm, dtype=np.int16)
    if sample_rate != 16000:
        samples = soxr.resample(samples, sample_rate, 16000).astype(np.int16)
    segments, _ = model.transcribe(samples.astype(np.float32) / 32768.0, language="en")
    return " ".join(segment.text.strip() for segment in segments).strip()


@functools.cache
def _whisper():  # type: ignore[no-untyped-def]
    from faster_whisper import WhisperModel

    settings = Settings()
    return WhisperModel(
        str(settings.resolved_whisper_model_path), device="cpu", compute_type="int8"
    )
