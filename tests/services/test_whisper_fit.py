"""Whisper with a fitted encoder context: fewer frames, the same words, loops caught."""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from faster_whisper import WhisperModel
from pipecat.frames.frames import TranscriptionFrame
from pipecat.tests.utils import run_test

from convonet.bench.speech import silence, synthesize
from convonet.bench.wer import word_error_rate
from convonet.services.embedded import SharedWhisperSTTService
from convonet.services.models import EmbeddedModels
from convonet.services.whisper_fit import (
    FULL_FRAMES,
    FittedWhisperModel,
    is_looping,
    transcribe_fitted,
    trim_restart,
)
from tests.services.test_speculative_stt import utterance
from tests.services.test_turn_taking import paced

# Real Whisper on Piper speech (the same audio in every run since 2026-12-06; before, Piper's
# random draws made tiny.en mishear a word now and then: "Add milk" as "I'm Oak" once).
pytestmark = pytest.mark.slow

SAID = [
    "Hello, what can you do for me today?",
    "Add milk, and eggs to my to-do list.",
    "Please remind me to call my mother tomorrow at five.",
    "Can I speak to a real person in billing?",
    "What time is it?",
]


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("What time is it? What time is it? What", "What time is it?"),
        (" Hello, what can you do? Hello, wh", " Hello, what can you do?"),
        ("Remind me at 8 tomorrow. Rem", "Remind me at 8 tomorrow."),
        ("Yes. Yes. Yes. Yes.", "Yes."),
        ("Add milk to my list.", None),
        ("Yes. Yes, that is right.", None),  # a second sentence, not a restart
        ("Call Bob. Bob is my brother.", None),  # repeats a word, not the start
        ("", None),
    ],
)
def test_a_transcript_that_starts_over_is_cut_at_the_restart(text: str, cut: str | None) -> None:
    assert trim_restart(text) == cut


@pytest.mark.parametrize(
    ("text", "loops"),
    [
        ("yes yes yes yes", True),
        ("what is the date what is the date what is the date", True),
        ("five five five one two three four", False),
        ("add milk and eggs to my list", False),
    ],
)
def test_loops_are_recognised(text: str, loops: bool) -> None:
    assert is_looping(text) is loops


@dataclass
class _Segment:
    text: str
    tokens: list[int] = field(default_factory=lambda: [1, 2, 3])
    no_speech_prob: float = 0.0


class _LoopsWhenFitted:
    """A model that loops whenever its encoder context is fitted, as tiny.en sometimes does."""

    def __init__(self) -> None:
        self.fitted_calls: list[int | None] = []

    def transcribe(self, audio: Any, **options: Any) -> tuple[Any, None]:
        frames = getattr(FittedWhisperModel._fit, "frames", None)
        self.fitted_calls.append(frames)
        text = "yes yes yes yes yes" if frames is not None else "Yes."
        return iter([_Segment(text)]), None


def test_a_loop_with_the_fitted_context_is_transcribed_again_with_the_full_one() -> None:
    model = _LoopsWhenFitted()
    segments, _ = transcribe_fitted(model, np.zeros(16000, np.float32))  # type: ignore[arg-type]
    assert [s.text for s in segments] == ["Yes."]
    assert model.fitted_calls[0] is not None and model.fitted_calls[1] is None
    assert getattr(FittedWhisperModel._fit, "frames", None) is None  # nothing left behind


def _samples(text: str) -> np.ndarray:
    pcm = synthesize(text) + silence(0.3)
    return np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0


def _text(model: Any, audio: np.ndarray, fitted: bool) -> str:
    options = {"language": "en", "beam_size": 1}
    if fitted:
        segments, _ = transcribe_fitted(model, audio, **options)
    else:
        lazy, _ = model.transcribe(audio, **options)
        segments = list(lazy)
    return "".join(s.text for s in segments).strip()


def test_the_fitted_context_encodes_fewer_frames_and_keeps_the_words(
    models: EmbeddedModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = models.whisper
    assert isinstance(model, FittedWhisperModel)
    encoded: list[int] = []
    original = WhisperModel.encode

    def spy(self: WhisperModel, features: np.ndarray) -> Any:
        encoded.append(features.shape[-1])
        return original(self, features)

    monkeypatch.setattr(WhisperModel, "encode", spy)
    audios = [_samples(text) for text in SAID]
    full = [_text(model, audio, fitted=False) for audio in audios]
    assert set(encoded) == {FULL_FRAMES}
    encoded.clear()
    fitted = [_text(model, audio, fitted=True) for audio in audios]

    assert encoded and max(encoded) <= 1000, encoded  # 10 s of context, not 30 s
    wer_fitted, wer_full = word_error_rate(SAID, fitted), word_error_rate(SAID, full)
    assert wer_fitted is not None and wer_full is not None
    assert wer_fitted <= wer_full + 0.05, (fitted, full)
    assert "milk" in fitted[1].lower() and "billing" in fitted[3].lower(), fitted


def test_a_one_word_answer_comes_back_once(models: EmbeddedModels) -> None:
    # With a short context tiny.en tends to answer "Yes. Yes. Yes. ..." to a lone "Yes".
    text = _text(models.whisper, _samples("Yes."), fitted=True)
    assert "yes" in text.lower() and len(text.split()) <= 2, text


async def test_the_pipecat_service_transcribes_with_the_fitted_context(
    models: EmbeddedModels,
) -> None:
    stt = SharedWhisperSTTService(
        model=models.whisper,
        model_path=str(models.settings.resolved_whisper_model_path),
        fit_context=True,
    )
    frames = utterance(synthesize("What time is it?")) + paced(silence(0.5))
    down, _ = await run_test(stt, frames_to_send=frames, start_timeout=5.0)
    texts = [f.text.lower() for f in down if isinstance(f, TranscriptionFrame)]
    assert len(texts) == 1 and "time" in texts[0], texts
