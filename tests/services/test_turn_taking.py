"""Turn taking on real speech: Silero VAD, the smart-turn model and speculative Whisper.

The caller's audio (Piper speech) is paced in real time through the STT service and the
user aggregator, as a transport would deliver it; what reaches the agent is the
user message the aggregator writes into the conversation at the end of each turn.
"""

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.frames.frames import Frame, InputAudioRawFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregator,
    LLMUserAggregatorParams,
)
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from convonet.bench.speech import Turn, silence, speak
from convonet.bench.wer import normalize
from convonet.services.models import EmbeddedModels
from convonet.services.speech import create_stt
from convonet.services.turn_taking import SharedSmartTurnAnalyzer, user_turn_strategies
from convonet.settings import Settings

RATE = 16000
CHUNK_BYTES = int(RATE * 0.02) * 2


def paced(pcm: bytes) -> list[Frame]:
    """``pcm`` as 20 ms microphone frames, each followed by 20 ms of waiting."""
    frames: list[Frame] = []
    for start in range(0, len(pcm), CHUNK_BYTES):
        chunk = pcm[start : start + CHUNK_BYTES].ljust(CHUNK_BYTES, b"\x00")
        frames += [InputAudioRawFrame(chunk, RATE, 1), SleepFrame(sleep=0.02)]
    return frames


@dataclass
class TurnsRun:
    """What came out of the user aggregator, and the conversation it wrote."""

    down: Sequence[Frame]
    context: LLMContext

    @property
    def asked(self) -> list[str]:
        """What the agent is asked, turn by turn: the user messages of the conversation."""
        return [str(m["content"]) for m in self.context.get_messages() if m.get("role") == "user"]


def user_aggregator(
    config: Settings,
    models: EmbeddedModels,
    context: LLMContext | None = None,
    strategies: UserTurnStrategies | None = None,
) -> LLMUserAggregator:
    """The call's user aggregator: Silero VAD and the turn strategies (the configured ones)."""
    user, _assistant = LLMContextAggregatorPair(
        context or LLMContext(),
        user_params=LLMUserAggregatorParams(
            vad_analyzer=SileroVADAnalyzer(params=VADParams(stop_secs=config.vad_stop_secs)),
            user_turn_strategies=strategies or user_turn_strategies(config, models),
            # Whisper can take seconds on a loaded 2-core machine: no turn ends on a timer.
            user_turn_stop_timeout=60.0,
        ),
    )
    return user


async def run_turns(models: EmbeddedModels, pcm: bytes, **settings: object) -> TurnsRun:
    """A caller saying ``pcm`` to the STT and the user aggregator (no agent behind them).

    The model's verdict is waited for up to the silence limit: these tests check what it
    hears, and a loaded test machine can take longer than ``SMART_TURN_WAIT_SECS``.
    """
    settings = {"smart_turn_wait_secs": 0.0} | settings
    config = Settings(_env_file=None, **settings)  # type: ignore[arg-type]
    context = LLMContext()
    stt = create_stt("whisper", config, models)
    down, _ = await run_test(
        Pipeline([stt, user_aggregator(config, models, context)]),
        frames_to_send=paced(pcm + silence(2.0)),
        start_timeout=5.0,
    )
    return TurnsRun(down, context)


async def user_turns(models: EmbeddedModels, pcm: bytes, **settings: object) -> list[str]:
    """What the agent is asked, turn by turn, when a caller says ``pcm``."""
    return (await run_turns(models, pcm, **settings)).asked


@pytest.mark.parametrize(
    "turn",
    [
        Turn("What is the, um, date today?", pause_secs=0.5),
        Turn("My phone number is five five five, one two three four.", pause_secs=0.5),
    ],
    ids=["um", "digits"],
)
async def test_a_pause_mid_sentence_does_not_end_the_turn(
    models: EmbeddedModels, turn: Turn
) -> None:
    # The smart-turn model hears these halves as unfinished. (It rates Piper's "Add milk,"
    # as finished: see docs/benchmarks.md; such a turn is kept whole only while Whisper is
    # still busy when the caller resumes.)
    asked = await user_turns(models, speak(turn))

    assert len(asked) == 1, f"the turn was cut at the pause: {asked}"
    said, heard = normalize(turn.text).split(), normalize(asked[0]).split()
    assert (heard[0], heard[-1]) == (said[0], said[-1]), asked


async def test_the_first_word_survives(models: EmbeddedModels) -> None:
    asked = await user_turns(models, speak(Turn("Hello, what can you do?")))

    assert len(asked) == 1, asked
    assert asked[0].lower().startswith("hello"), asked


async def test_a_finished_sentence_ends_the_turn_well_before_the_silence_limit(
    models: EmbeddedModels,
) -> None:
    # With a 5 s limit, only the model's "finished" can end the turn inside 2 s of silence.
    asked = await user_turns(
        models, speak(Turn("What time is it?")), smart_turn_max_silence_secs=5.0
    )

    assert len(asked) == 1 and "time" in asked[0].lower(), asked


@pytest.mark.parametrize("nice", [0, 10])
def test_the_smart_turn_thread_runs_below_the_server_by_its_nice(
    models: EmbeddedModels, nice: int
) -> None:
    strategy = user_turn_strategies(
        Settings(_env_file=None, smart_turn_thread_nice=nice),
        models,  # type: ignore[call-arg]
    ).stop[0]
    analyzer = strategy._turn_analyzer  # type: ignore[attr-defined]
    assert isinstance(analyzer, SharedSmartTurnAnalyzer)
    executor = analyzer._model_executor
    try:
        thread = executor.submit(threading.get_native_id).result(timeout=10)
        assert os.getpriority(os.PRIO_PROCESS, thread) == os.getpriority(os.PRIO_PROCESS, 0) + nice
    finally:
        executor.shutdown()
