"""A turn ends as soon as smart-turn's verdict and the final transcript are both in, in any order.

The user aggregator handles them in two different tasks: VAD frames (and with them
smart-turn's verdict, run in its thread) in the task for system frames, the STT's
transcript in the one for data frames. With Deepgram in the concurrency benchmark the two
arrive within milliseconds of each other and of the STT safety net (``ttfs_p99_latency``
after the end of speech), so every interleaving happens in practice. Each case here puts
them in a different order around that deadline, through pipecat's real user aggregator and
turn controller and :class:`~convonet.services.eager_turn.EagerSmartTurnStopStrategy`; only
the model is scripted (its verdict and how long it takes). A turn that waited instead for
smart-turn's silence limit (1 s) fails.

A verdict slower than that limit (a loaded server's model thread) must not hold the turn
past it: :class:`~convonet.services.turn_taking.SilenceBoundedVerdict` gives it up.
"""

import asyncio
import time

import numpy as np
import pytest
from pipecat.audio.turn.smart_turn.base_smart_turn import SmartTurnParams
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    StartFrame,
    STTMetadataFrame,
    TranscriptionFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from convonet.services.eager_turn import EagerSmartTurnStopStrategy
from convonet.services.turn_taking import SilenceBoundedVerdict

RATE = 16000
FRAME_SECS = 0.02
VAD_STOP_SECS = 0.2
# Deepgram's default in pipecat: the safety net ends 0.35 - 0.2 = 0.15 s after the VAD stop.
STT_P99_SECS = 0.35
SPEECH_SECS = 0.6
SILENCE_LIMIT_SECS = 1.0
# Far below the silence limit, far above any scheduling delay of a loaded test machine.
LATE_SECS = 0.45
# When a caller who goes on starts again after the first VAD stop.
RESUME_SECS = 0.3


def talk_secs(resume_after: float | None) -> float:
    """How long the caller talks from the first VAD start to the last VAD stop."""
    return SPEECH_SECS if resume_after is None else SPEECH_SECS + resume_after + SPEECH_SECS


class ScriptedSmartTurn(SilenceBoundedVerdict):
    """The app's smart-turn with a scripted model: finished, after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(params=SmartTurnParams(stop_secs=SILENCE_LIMIT_SECS))
        self._delay = delay

    def _predict_endpoint(self, audio_array: np.ndarray) -> dict[str, float]:
        time.sleep(self._delay)  # in the model's thread, as the real inference is
        return {"prediction": 1, "probability": 0.95}


class Caller(FrameProcessor):
    """Real-time microphone frames, VAD start and stop, and the STT's final transcript.

    The VAD and the STT are upstream of the aggregator in a call; here their frames are
    generated at the times a case sets, from the ``StartFrame`` on.
    """

    def __init__(self, transcript_after: float, resume_after: float | None = None) -> None:
        super().__init__()
        self._transcript_after = transcript_after
        # Seconds after the VAD stop at which the caller goes on for another SPEECH_SECS.
        self._resume_after = resume_after
        self.vad_stopped_at = 0.0

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if isinstance(frame, StartFrame):
            self.create_task(self._microphone(), f"{self}::microphone")
            self.create_task(self._speak(), f"{self}::speak")

    async def _microphone(self) -> None:
        chunk = np.full(int(RATE * FRAME_SECS), 300, dtype=np.int16).tobytes()
        start = time.monotonic()
        talk = talk_secs(self._resume_after)
        for sent in range(1, int((talk + SILENCE_LIMIT_SECS + 0.4) / FRAME_SECS)):
            await self.push_frame(InputAudioRawFrame(chunk, RATE, 1))
            await asyncio.sleep(max(0.0, start + sent * FRAME_SECS - time.monotonic()))

    async def _speak(self) -> None:
        await self.push_frame(STTMetadataFrame(service_name="stt", ttfs_p99_latency=STT_P99_SECS))
        await asyncio.sleep(0.1)
        await self.push_frame(VADUserStartedSpeakingFrame(start_secs=0.2))
        await asyncio.sleep(SPEECH_SECS)
        self.vad_stopped_at = time.monotonic()
        await self.push_frame(VADUserStoppedSpeakingFrame(stop_secs=VAD_STOP_SECS))
        if self._resume_after is not None:
            await asyncio.sleep(self._resume_after)
            await self.push_frame(VADUserStartedSpeakingFrame(start_secs=0.2))
            await asyncio.sleep(SPEECH_SECS)
            self.vad_stopped_at = time.monotonic()
            await self.push_frame(VADUserStoppedSpeakingFrame(stop_secs=VAD_STOP_SECS))
        await asyncio.sleep(self._transcript_after)
        final = TranscriptionFrame("what time is it", "caller", "now")
        final.finalized = True  # Deepgram's answer to pipecat's Finalize
        await self.push_frame(final)


class TurnEnds(FrameProcessor):
    """Notes when each turn end passes."""

    def __init__(self) -> None:
        super().__init__()
        self.at: list[float] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, UserStoppedSpeakingFrame) and direction is FrameDirection.DOWNSTREAM:
            self.at.append(time.monotonic())
        await self.push_frame(frame, direction)


# (verdict after, transcript after) the VAD stop, in seconds: the transcript before, with
# and after the verdict, and before, at and after the STT safety net (0.15 s).
CASES = [(0.03, 0.0), (0.03, 0.1), (0.03, 0.15), (0.03, 0.2), (0.15, 0.1), (0.15, 0.15)]


async def turn_ends(
    verdict_after: float, transcript_after: float, resume_after: float | None = None
) -> tuple[float, list[float], LLMContext]:
    """Run one caller; returns the last VAD stop, the turn ends and the conversation."""
    strategy = EagerSmartTurnStopStrategy(turn_analyzer=ScriptedSmartTurn(verdict_after))
    context = LLMContext()
    user, _assistant = LLMContextAggregatorPair(
        context,
        user_params=LLMUserAggregatorParams(
            user_turn_strategies=UserTurnStrategies(stop=[strategy]), user_turn_stop_timeout=10.0
        ),
    )
    caller, ends = Caller(transcript_after, resume_after), TurnEnds()
    run_secs = 0.1 + talk_secs(resume_after) + SILENCE_LIMIT_SECS + 0.5

    await run_test(
        Pipeline([caller, user, ends]),
        frames_to_send=[SleepFrame(sleep=run_secs)],
        start_timeout=5.0,
    )
    return caller.vad_stopped_at, ends.at, context


@pytest.mark.slow
@pytest.mark.parametrize(("verdict_after", "transcript_after"), CASES)
async def test_the_turn_ends_once_verdict_and_final_transcript_are_both_in(
    verdict_after: float, transcript_after: float
) -> None:
    stopped, ends, context = await turn_ends(verdict_after, transcript_after)

    assert len(ends) == 1, ends
    took = ends[0] - stopped
    assert took < max(verdict_after, transcript_after) + LATE_SECS, f"turn ended {took:.3f} s"
    assert [m["content"] for m in context.get_messages()] == ["what time is it"]


@pytest.mark.slow
async def test_a_verdict_slower_than_the_silence_limit_does_not_hold_the_turn() -> None:
    stopped, ends, context = await turn_ends(verdict_after=3.0, transcript_after=0.1)

    assert len(ends) == 1, ends
    took = ends[0] - stopped
    assert took < SILENCE_LIMIT_SECS + LATE_SECS, f"turn ended {took:.3f} s"
    assert [m["content"] for m in context.get_messages()] == ["what time is it"]


@pytest.mark.slow
async def test_a_caller_going_on_while_the_verdict_is_late_keeps_one_turn() -> None:
    # The caller goes on shortly after the first stop, while the model is still on it.
    stopped, ends, context = await turn_ends(
        verdict_after=3.0, transcript_after=0.1, resume_after=RESUME_SECS
    )

    assert len(ends) == 1, ends  # the late verdict did not end the turn under the caller
    # The first verdict is given up one limit after the first stop; the second, queued
    # behind the first on the model's thread, one limit after that; the silence limit, long
    # since reached on the queued audio, then ends the turn.
    second_given_up = 2 * SILENCE_LIMIT_SECS - (RESUME_SECS + SPEECH_SECS)
    took = ends[0] - stopped
    assert took < second_given_up + LATE_SECS, f"turn ended {took:.3f} s"
    assert [m["content"] for m in context.get_messages()] == ["what time is it"]
