"""Speculative Whisper: transcripts the caller talks over never leave the service."""

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from pipecat.frames.frames import (
    Frame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.tests.utils import run_test

from convonet.bench.speech import Turn, silence, speak, speech_end_secs, synthesize
from convonet.services.models import EmbeddedModels
from convonet.services.speculative_stt import QuietDetector, SpeculativeWhisperSTTService
from tests.services.test_turn_taking import paced

RATE = 16000


def whisper(models: EmbeddedModels) -> SpeculativeWhisperSTTService:
    return SpeculativeWhisperSTTService(
        quiet_secs=0.15,
        model=models.whisper,
        model_path=str(models.settings.resolved_whisper_model_path),
    )


def utterance(pcm: bytes) -> list[Frame]:
    """One stretch of speech as the VAD reports it: start, the audio, stop after 0.25 s."""
    return [
        VADUserStartedSpeakingFrame(start_secs=0.2),
        *paced(pcm + silence(0.25)),
        VADUserStoppedSpeakingFrame(stop_secs=0.2),
    ]


class SlowWhisper(SpeculativeWhisperSTTService):
    """Whisper that takes at least ``delay_secs``: a transcription is surely still in flight."""

    def __init__(self, *, delay_secs: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._delay_secs = delay_secs

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        await asyncio.sleep(self._delay_secs)
        async for frame in super().run_stt(audio):
            yield frame


async def transcribe(stt: SpeculativeWhisperSTTService, *pieces: bytes) -> list[str]:
    """What ``stt`` pushes for ``pieces`` said one after the other, then 0.5 s of quiet."""
    frames = [frame for pcm in pieces for frame in utterance(pcm)] + paced(silence(0.5))
    down, _ = await run_test(stt, frames_to_send=frames, start_timeout=5.0)
    return [f.text.strip() for f in down if isinstance(f, TranscriptionFrame)]


async def test_a_transcript_the_caller_talks_over_is_discarded(models: EmbeddedModels) -> None:
    stt = whisper(models)
    # The 0.5 s pause starts a speculation on "Please remind me to call"; the caller carries on.
    pcm = speak(Turn("Please remind me to call, my mother tomorrow.", pause_secs=0.5))

    heard = await transcribe(stt, pcm)

    assert len(heard) == 1, heard
    assert "remind" in heard[0].lower() and "mother" in heard[0].lower(), heard
    assert stt.stats.discarded >= 1 and stt.stats.pushed == 1, stt.stats


async def test_speech_after_the_vad_stop_discards_the_transcript_in_flight(
    models: EmbeddedModels,
) -> None:
    # Whisper slower than the gap between the two utterances, as on a loaded machine too:
    # otherwise a fast run finishes inside the gap and the test would measure the machine.
    stt = SlowWhisper(
        delay_secs=1.5,
        quiet_secs=0.15,
        model=models.whisper,
        model_path=str(models.settings.resolved_whisper_model_path),
    )
    first, second = synthesize("Please remind me"), synthesize("to call my mother tomorrow.")

    # The caller speaks again right after the VAD stop, before Whisper has finished.
    heard = await transcribe(stt, first, second)

    assert len(heard) == 1, heard
    assert "remind" in heard[0].lower() and "mother" in heard[0].lower(), heard


async def test_a_finished_utterance_is_transcribed_once(models: EmbeddedModels) -> None:
    stt = whisper(models)

    heard = await transcribe(stt, synthesize("What time is it?"))

    assert [t.lower() for t in heard] == ["what time is it?"]
    # Started at the first quiet, used at the VAD stop: one Whisper run, nothing thrown away.
    assert (stt.stats.started, stt.stats.discarded) == (1, 0), stt.stats


def test_quiet_detector_reports_the_first_quiet_after_speech_once() -> None:
    detector = QuietDetector(quiet_secs=0.06)
    hello = synthesize("Hello")
    loud = hello[: int(speech_end_secs(hello) * RATE) * 2]  # without Piper's trailing quiet
    step = int(RATE * 0.02) * 2
    levels = [detector.update(loud[i : i + step], RATE) for i in range(0, len(loud), step)]
    levels += [detector.update(silence(0.02), RATE) for _ in range(10)]

    assert "loud" in levels
    assert levels.count("quiet") == 1
    # After 60 ms of quiet (Piper's last word may fade out inside the speech's last frame).
    assert levels[-10:].index("quiet") in (1, 2)
