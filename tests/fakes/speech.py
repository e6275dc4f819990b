"""Real speech for tests, synthesized with the app's own Piper voice.

The voice is loaded once per test process; utterances are cached by text and rate.
"""

import functools

import numpy as np
import soxr

from convonet.settings import Settings
from convonet.wav_call import wav_bytes


@functools.cache
def _voice():  # type: ignore[no-untyped-def]
    from piper import PiperVoice

    settings = Settings()
    return PiperVoice.load(settings.resolved_piper_voice_dir / f"{settings.piper_voice}.onnx")


@functools.cache
def synthesize(text: str, sample_rate: int = 16000) -> bytes:
    """Speak ``text`` with the Piper voice and return mono 16-bit PCM at ``sample_rate``."""
    voice = _voice()
    pcm = b"".join(chunk.audio_int16_bytes for chunk in voice.synthesize(text))
    samples = np.frombuffer(pcm, dtype=np.int16)
    if voice.config.sample_rate != sample_rate:
        resampled = soxr.resample(samples, voice.config.sample_rate, sample_rate)
        samples = np.clip(resampled, -32768, 32767).astype(np.int16)
    return samples.tobytes()


def silence(seconds: float, sample_rate: int = 16000) -> bytes:
    """Return ``seconds`` of digital silence as 16-bit PCM."""
    return b"\x00\x00" * int(seconds * sample_rate)


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
