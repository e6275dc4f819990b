"""Whisper that encodes only as much audio context as an utterance needs.

faster-whisper pads every utterance's log-mel features to Whisper's 30 s window, and on a
2-core CPU the encoder over those 3000 frames is ~290 ms of tiny.en's ~350 ms per utterance.
CTranslate2's encoder accepts fewer frames: a 10 s context takes ~30 ms. The catch is that
Whisper was trained on 30 s windows only; with a short context the greedy decoder often
transcribes the utterance correctly and then starts it again ("What time is it? What time
is it? ...") because it never sees the long quiet it expects after speech. So:

- the utterance gets :data:`TAIL_PAD_SECS` of real silence appended and the context is at
  least :data:`FLOOR_SECS` (both measured: shorter contexts cost words);
- decoding is capped at a token budget proportional to the audio's length;
- a restart of the transcript after a sentence end is cut off (:func:`trim_restart`);
- if the text still loops or fills the budget, the utterance is transcribed again with the
  full 30 s context, exactly as faster-whisper would have.

Measured on 31 Piper utterances on 2 cores: p50 ~110 ms instead of ~340 ms, with the same
or a lower word error rate (see ``docs/benchmarks.md``).
"""

import dataclasses
import re
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
from faster_whisper import WhisperModel

if TYPE_CHECKING:
    import ctranslate2
    from faster_whisper.transcribe import Segment, TranscriptionInfo

RATE = 16000
# Log-mel frames per second of audio (faster-whisper's hop of 160 samples).
FRAMES_PER_SEC = 100
FULL_FRAMES = 3000
# Silence appended so the decoder sees the speech end, and the least context encoded: a
# 1 s pad / 5 s context lost words ("how are you doing to that?"); 2 s / 10 s did not.
TAIL_PAD_SECS = 2.0
FLOOR_SECS = 10.0
# Longer utterances gain little (the context nears 30 s) and may need several windows.
MAX_FIT_SECS = 25.0
# Decoding budget: a fast talker says ~3.5 words (~5 tokens) a second.
BUDGET_BASE_TOKENS = 10
BUDGET_TOKENS_PER_SEC = 6.0

_WORD = re.compile(r"[A-Za-z0-9']+")
_SENTENCE_END = (".", "?", "!")


class FittedWhisperModel(WhisperModel):
    """A faster-whisper model whose encoder can be given fewer than 3000 frames.

    Without :func:`transcribe_fitted` on the calling thread it behaves exactly like
    :class:`~faster_whisper.WhisperModel`, so one shared instance serves both paths.
    """

    _fit = threading.local()

    def encode(self, features: np.ndarray) -> "ctranslate2.StorageView":
        """Encode ``features``, cut to this thread's fitted frame count if one is set."""
        frames: int | None = getattr(self._fit, "frames", None)
        if frames is not None and features.shape[-1] > frames:
            features = np.ascontiguousarray(features[..., :frames])
        return super().encode(features)


def trim_restart(text: str) -> str | None:
    """Cut a transcript that starts over after a sentence end; ``None`` if it does not.

    ``"What time is it? What time"`` becomes ``"What time is it?"``: the words after a
    sentence end repeat the words before it, once or more (the last one possibly cut short
    by the token budget).

    Args:
        text: A transcript.

    Returns:
        The transcript up to the restart, or ``None`` when no restart was found.
    """
    matches = list(_WORD.finditer(text))
    words = [m.group().lower() for m in matches]
    for k in range(1, len(words)):
        before = text[: matches[k].start()].rstrip()
        if not before.endswith(_SENTENCE_END):
            continue
        if _repeats_start(words, k):
            return before
    return None


def _repeats_start(words: list[str], k: int) -> bool:
    """Whether the words from ``k`` on repeat the first ``k`` (once or more, the last maybe cut)."""
    tail = words[k:]
    expected = [words[i % k] for i in range(len(tail))]
    return tail[:-1] == expected[:-1] and expected[-1].startswith(tail[-1])


def is_looping(text: str) -> bool:
    """Whether a transcript ends in a loop: one phrase three times running, or a word four."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) >= 4 and len(set(words[-4:])) == 1:
        return True
    for n in range(2, len(words) // 3 + 1):
        if words[-n:] == words[-2 * n : -n] == words[-3 * n : -2 * n]:
            return True
    return False


def transcribe_fitted(
    model: FittedWhisperModel, audio: np.ndarray, **options: Any
) -> tuple[list["Segment"], "TranscriptionInfo"]:
    """Transcribe one utterance with a fitted encoder context; fall back to the full one.

    Args:
        model: The shared model.
        audio: 16 kHz float32 samples.
        **options: faster-whisper ``transcribe`` options (language, beam size, ...).

    Returns:
        The segments (already decoded) and faster-whisper's transcription info.
    """
    secs = len(audio) / RATE
    if secs > MAX_FIT_SECS:
        return _decode(model, audio, None, **options)
    padded = np.concatenate([audio, np.zeros(int(TAIL_PAD_SECS * RATE), dtype=np.float32)])
    frames = min(FULL_FRAMES, max(int(FLOOR_SECS * FRAMES_PER_SEC), len(padded) // 160 + 1))
    budget = int(BUDGET_BASE_TOKENS + BUDGET_TOKENS_PER_SEC * secs)
    # One greedy pass at temperature 0: faster-whisper's own retries at higher temperatures
    # would each spend the budget on a loop that the full-context pass below handles.
    fitted = {**options, "max_new_tokens": budget, "without_timestamps": True, "temperature": 0.0}
    segments, info = _decode(model, padded, frames, **fitted)
    text = "".join(s.text for s in segments)
    cut = trim_restart(text)
    if cut is not None:
        return [dataclasses.replace(segments[0], text=cut)], info
    if is_looping(text) or sum(len(s.tokens) for s in segments) >= budget:
        return _decode(model, audio, None, **options)
    return segments, info


def _decode(
    model: FittedWhisperModel, audio: np.ndarray, frames: int | None, **options: Any
) -> tuple[list["Segment"], "TranscriptionInfo"]:
    # The segments are a lazy generator: the encoder runs while they are consumed, so
    # consume them here, on this thread, while its frame count is set.
    FittedWhisperModel._fit.frames = frames
    try:
        segments, info = model.transcribe(audio, **options)
        return list(segments), info
    finally:
        FittedWhisperModel._fit.frames = None
