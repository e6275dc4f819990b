"""Piper speaks a held reply's first piece from audio synthesized before the reply's release."""

import re

import pytest
from pipecat.frames.frames import (
    Frame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    TTSAudioRawFrame,
)
from pipecat.services.piper.tts import PiperTTSService
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.utils.text.simple_text_aggregator import SimpleTextAggregator

from convonet.processors.frames import SpeechPreviewFrame
from convonet.services.embedded import SharedPiperTTSService
from convonet.services.first_clause import FirstClauseTextAggregator
from convonet.services.models import EmbeddedModels
from convonet.services.prepared_speech import PreparedSpeech

REPLY = "I can help with your to-dos, reminders and calendar, or get you a person."


def _words(text: str) -> list[str]:
    return re.findall(r"\S+\s*", text)


def _fake_synthesis(text: str) -> list[bytes]:
    return [text.encode()]


async def _prepared(text: str, aggregator=FirstClauseTextAggregator) -> PreparedSpeech:  # type: ignore[no-untyped-def]
    prepared = PreparedSpeech(aggregator, _fake_synthesis)
    for index, word in enumerate(_words(text)):
        await prepared.feed(word, reply_start=index == 0)
    await prepared.feed("", reply_end=True)
    return prepared


async def test_the_first_clause_is_ready_when_the_tts_asks_for_it() -> None:
    prepared = await _prepared(REPLY)

    assert await prepared.take("I can help with your to-dos,") == [b"I can help with your to-dos,"]
    assert await prepared.take("I can help with your to-dos,") is None  # used once


async def test_other_text_finds_nothing() -> None:
    prepared = await _prepared(REPLY)

    assert await prepared.take("Something else entirely.") is None
    assert await prepared.take("I can help with your to-dos,") is None  # dropped as stale


async def test_a_one_sentence_reply_is_prepared_when_the_reply_ends() -> None:
    prepared = await _prepared("It's 3:45 PM.", SimpleTextAggregator)

    assert await prepared.take("It's 3:45 PM.") == [b"It's 3:45 PM."]


async def test_a_new_reply_replaces_the_prepared_one() -> None:
    prepared = await _prepared(REPLY)
    for index, word in enumerate(_words("Today is Sunday, December 6, 2026.")):
        await prepared.feed(word, reply_start=index == 0)
    await prepared.feed("", reply_end=True)

    assert await prepared.take("I can help with your to-dos,") is None


def _reply_frames(text: str) -> list[Frame]:
    words = _words(text)
    return [
        *(SpeechPreviewFrame(word, reply_start=i == 0) for i, word in enumerate(words)),
        SpeechPreviewFrame(reply_end=True),
        SleepFrame(sleep=1.0),  # Piper synthesizes the first clause meanwhile
        LLMFullResponseStartFrame(),
        *(LLMTextFrame(word) for word in words),
        LLMFullResponseEndFrame(),
    ]


async def test_piper_speaks_the_prepared_clause_and_synthesizes_the_rest(
    models: EmbeddedModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    run_tts = PiperTTSService.run_tts

    def recording(self, text, context_id):  # type: ignore[no-untyped-def]
        asked.append(text.strip())
        return run_tts(self, text, context_id)

    monkeypatch.setattr(PiperTTSService, "run_tts", recording)
    tts = SharedPiperTTSService(voice=models.piper, voice_name="joe", first_clause=True)

    down, _ = await run_test(tts, frames_to_send=_reply_frames(REPLY), start_timeout=5.0)

    # The first clause came from the preparation; only the rest was synthesized on request.
    assert asked == ["reminders and calendar, or get you a person."], asked
    audio = b"".join(f.audio for f in down if isinstance(f, TTSAudioRawFrame))
    assert len(audio) > 2 * 16000, "both pieces are spoken (over a second of audio)"
    assert not any(isinstance(f, SpeechPreviewFrame) for f in down), "previews are consumed"
