"""Real speech for benchmarks and tests, synthesized with the app's own Piper voice.

The voice is loaded once per process; utterances are cached by text and rate.

The caller's speech is Piper's most likely rendition of the text: no generator or phoneme
width noise. Piper's defaults draw both at random inside its ONNX graph (no seed reaches
them), so every process spoke a sentence differently, and Whisper tiny.en misheard some
draws: "What day is it today?" as "What they visit today?" in 2 of 40. A test then failed
now and then, on both attempts (the draw is cached), and a benchmark's words and turn
timings moved with the draw. Without the noise the same text is the same audio in every
process, so a test that passes once passes again and runs compare on the same speech. The
app's own TTS keeps Piper's noise: only the simulated caller is fixed.
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
        pause_secs: If set, the pause Piper makes at the comma inside the sentence is
            stretched to this long: a caller pausing mid-sentence (the sentence is not
            finished, and Piper's intonation at a comma says so).
    """

    text: str
    tool: str | None = None
    pause_secs: float = 0.0


# Varied utterances the offline agent answers; three call tools (one on the MCP todo server).
# No commas: Piper pauses at them (see PAUSED_TURNS for the benchmark of pauses).
TURNS: tuple[Turn, ...] = (
    Turn("What time is it?", tool="get_current_datetime"),
    Turn("What can you do?"),
    Turn("Add buy milk to my to-do list.", tool="create_todo"),
    Turn("Hello how are you today?"),
    Turn("What day is it today?", tool="get_current_datetime"),
    Turn("Thanks that is very helpful."),
)

# Callers pausing 300-600 ms inside a sentence they have not finished: none may end the turn.
PAUSED_TURNS: tuple[Turn, ...] = (
    Turn("Add milk, and eggs to my to-do list.", tool="create_todo", pause_secs=0.45),
    Turn("My phone number is five five five, one two three four.", pause_secs=0.4),
    Turn("What is the, um, date today?", tool="get_current_datetime", pause_secs=0.5),
    Turn("Could you tell me, what time it is?", tool="get_current_datetime", pause_secs=0.3),
    Turn("Please remind me to call, my mother tomorrow.", pause_secs=0.6),
)

# The latency benchmark's set: plain turns and paused ones, alternating, plus the greeting
# whose first word ("Hello") was once lost, with Piper's own ~0.3 s pause at its comma.
LATENCY_TURNS: tuple[Turn, ...] = (
    TURNS[0],
    PAUSED_TURNS[0],
    Turn("Hello, what can you do?"),
    PAUSED_TURNS[1],
    TURNS[2],
    PAUSED_TURNS[2],
    TURNS[3],
    PAUSED_TURNS[3],
    TURNS[4],
    PAUSED_TURNS[4],
    TURNS[5],
)


def turns(count: int, script: tuple[Turn, ...] = TURNS) -> list[Turn]:
    """The first ``count`` benchmark turns, cycling through ``script``."""
    return [script[index % len(script)] for index in range(count)]


@functools.cache
def _voice() -> Any:
    from piper import PiperVoice

    settings = Settings()
    return PiperVoice.load(settings.resolved_piper_voice_dir / f"{settings.piper_voice}.onnx")


def synthesize(text: str, sample_rate: int = PCM_RATE) -> bytes:
    """Speak ``text`` with the Piper voice and return mono 16-bit PCM at ``sample_rate``.

    The same text gives the same audio in every process (see the module); cached by (text,
    rate) however it is called, as synthesis costs ~0.1 s a sentence.
    """
    return _synthesize(text, sample_rate)


@functools.cache
def _synthesize(text: str, sample_rate: int) -> bytes:
    import soxr
    from piper import SynthesisConfig

    voice = _voice()
    fixed = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    pcm = b"".join(chunk.audio_int16_bytes for chunk in voice.synthesize(text, fixed))
    samples = np.frombuffer(pcm, dtype=np.int16)
    if voice.config.sample_rate != sample_rate:
        resampled = soxr.resample(samples, voice.config.sample_rate, sample_rate)
        samples = np.clip(resampled, -32768, 32767).astype(np.int16)
    return samples.tobytes()


def speak(turn: Turn, sample_rate: int = PCM_RATE) -> bytes:
    """The PCM the caller sends for ``turn``: Piper's speech, its mid-sentence pause stretched."""
    pcm = synthesize(turn.text, sample_rate)
    return stretch_pause(pcm, turn.pause_secs, sample_rate) if turn.pause_secs else pcm


def stretch_pause(pcm: bytes, pause_secs: float, sample_rate: int = PCM_RATE) -> bytes:
    """Make the longest quiet stretch inside the speech of ``pcm`` ``pause_secs`` of silence.

    Raises:
        ValueError: ``pcm`` has no quiet stretch between two stretches of speech.
    """
    loud, window = _loud_windows(pcm, sample_rate)
    gaps = np.flatnonzero(np.diff(loud) > 1)  # loud[i] and loud[i + 1] are not adjacent
    if len(gaps) == 0:
        raise ValueError("the speech has no pause inside it to stretch")
    widest = int(gaps[np.argmax(np.diff(loud)[gaps])])
    start, stop = (int(loud[widest]) + 1) * window, int(loud[widest + 1]) * window
    samples = np.frombuffer(pcm, dtype=np.int16)
    quiet = np.zeros(int(pause_secs * sample_rate), dtype=np.int16)
    return np.concatenate([samples[:start], quiet, samples[stop:]]).tobytes()


def silence(seconds: float, sample_rate: int = PCM_RATE) -> bytes:
    """Return ``seconds`` of digital silence as 16-bit PCM."""
    return b"\x00\x00" * int(seconds * sample_rate)


def speech_end_secs(pcm: bytes, sample_rate: int = PCM_RATE) -> float:
    """Where speech ends in ``pcm``: the end of the last 10 ms window above speech level.

    Piper pads its output with quiet; the benchmarks time the caller's real end of speech.
    Returns 0.0 for audio with no speech.
    """
    loud, window = _loud_windows(pcm, sample_rate)
    if len(loud) == 0:
        return 0.0
    return float((loud[-1] + 1) * window / sample_rate)


def _loud_windows(pcm: bytes, sample_rate: int) -> tuple[np.ndarray, int]:
    """Indices of the 10 ms windows above speech level, and the window length in samples."""
    samples = np.abs(np.frombuffer(pcm, dtype=np.int16).astype(np.int32))
    window = max(1, int(sample_rate * _WINDOW_SECS))
    usable = len(samples) - len(samples) % window
    if usable == 0:
        return np.zeros(0, dtype=np.int64), window
    peaks = samples[:usable].reshape(-1, window).max(axis=1)
    return np.nonzero(peaks > _SPEECH_LEVEL)[0], window
