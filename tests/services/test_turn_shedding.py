"""Smart-turn shed under load: the caller's words end the turn, with a cloud STT.

Shed means not asked while the loop runs late; a verdict later than ``SMART_TURN_WAIT_SECS``
is given up the same way. Real Piper speech is paced through the Deepgram STT service
(against the local fake, which answers ``Finalize`` with a finalized transcript) and the
user aggregator with Silero VAD and the configured stop strategy. The load is a
:class:`LoopLag` set by hand (not sampling), so a test machine's own load cannot change
which way a turn goes.
"""

import time
from typing import Any

import pytest
from pipecat.frames.frames import LLMContextFrame, TTSSpeakFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.tests.utils import run_test

from convonet.bench.speech import Turn, silence, speak
from convonet.lifecycle.loop_lag import LoopLag
from convonet.services.models import EmbeddedModels
from convonet.services.speech import create_stt
from convonet.services.turn_shedding import SheddingVerdict, ShedPolicy
from convonet.services.turn_taking import (
    SharedSmartTurnAnalyzer,
    shed_policy,
    user_turn_strategies,
)
from tests.fakes.deepgram import FakeDeepgramSTT
from tests.services.test_cloud_providers import KEY, settings_for
from tests.services.test_turn_taking import paced, user_aggregator

SAID = "Book a table for two."
LOADED, IDLE = 0.2, 0.0  # the loop's lateness in seconds; the default limit is 10 ms


@pytest.fixture
def verdicts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every smart-turn verdict the model computes (1 finished, 0 not), in order."""
    computed: list[int] = []
    predict = SharedSmartTurnAnalyzer._predict_endpoint

    def counted(self: SharedSmartTurnAnalyzer, audio: Any) -> dict[str, Any]:
        result = predict(self, audio)
        computed.append(result["prediction"])
        return result

    monkeypatch.setattr(SharedSmartTurnAnalyzer, "_predict_endpoint", counted)
    return computed


async def asked_in_time(
    models: EmbeddedModels, transcript: str, lag_secs: float, calls: int = 1, **settings: Any
) -> tuple[list[str], SheddingVerdict, list[str]]:
    """What the agent is asked in 2 s of silence after the turn; the analyzer; its judgements.

    The judgements are how each VAD stop was judged (what the metric counts). ``calls`` is
    how many calls the process carries (the model judges 1.5 per core by default). The
    silence limit is 3 s, so only a verdict or the words end the turn in that time (the
    aggregator hands over what it holds at the call's end too: that does not count).
    """
    load = LoopLag()
    load.lag_secs = lag_secs
    judged: list[str] = []
    marker = TTSSpeakFrame("2 s after the end of speech")
    # The fake finalizes only on ``Finalize`` (the VAD stop), like the benchmark's.
    async with FakeDeepgramSTT(api_key=KEY, transcript=transcript, final_after_secs=None) as fake:
        config = settings_for(
            deepgram_api_key=KEY,
            deepgram_stt_url=fake.url,
            smart_turn_max_silence_secs=3.0,
            **settings,
        )
        policy = shed_policy(config, load, lambda: calls, judged.append)
        strategies = user_turn_strategies(config, models, policy)
        user = user_aggregator(config, models, strategies=strategies)
        down, _ = await run_test(
            Pipeline([create_stt("deepgram", config, models), user]),
            frames_to_send=[*paced(speak(Turn(SAID)) + silence(2.0)), marker],
            start_timeout=5.0,
        )
    in_time = down[: [type(f) for f in down].index(TTSSpeakFrame)]
    contexts = [f for f in in_time if isinstance(f, LLMContextFrame)]
    analyzer = strategies.stop[0]._turn_analyzer  # type: ignore[attr-defined]
    return [str(f.context.get_messages()[-1]["content"]) for f in contexts], analyzer, judged


async def test_under_load_whole_words_end_the_turn_without_the_model(
    models: EmbeddedModels, verdicts: list[int]
) -> None:
    asked, analyzer, judged = await asked_in_time(models, SAID, LOADED)

    assert asked == [SAID], "the turn ended on its words, well inside the silence limit"
    assert verdicts == [] and analyzer.shed_verdicts == 1 and judged == ["shed"]


async def test_under_load_hanging_words_wait_for_the_silence_limit(
    models: EmbeddedModels, verdicts: list[int]
) -> None:
    asked, analyzer, judged = await asked_in_time(models, "Book a table for two and", LOADED)

    assert asked == [], "words that hang never end a turn by themselves"
    assert verdicts == [] and analyzer.shed_verdicts == 1 and judged == ["shed"]


async def test_an_idle_server_asks_the_model(models: EmbeddedModels, verdicts: list[int]) -> None:
    asked, analyzer, judged = await asked_in_time(models, SAID, IDLE)

    assert asked == [SAID]
    assert verdicts == [1] and analyzer.shed_verdicts == 0 and judged == ["model"]


async def test_the_model_s_unfinished_stands_against_whole_words(
    models: EmbeddedModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        SharedSmartTurnAnalyzer,
        "_predict_endpoint",
        lambda self, audio: {"prediction": 0, "probability": 0.05},
    )
    asked, analyzer, judged = await asked_in_time(models, SAID, IDLE)

    assert asked == [] and analyzer.shed_verdicts == 0 and judged == ["model"]


def slow_model(self: SharedSmartTurnAnalyzer, audio: Any) -> dict[str, Any]:
    """A model thread that waits 1 s for a core, then hears the sentence unfinished."""
    time.sleep(1.0)
    return {"prediction": 0, "probability": 0.05}


@pytest.mark.parametrize(
    ("transcript", "ends"),
    [(SAID, True), ("Book a table for two and", False)],
    ids=["whole", "hangs"],
)
async def test_a_verdict_later_than_the_wait_gives_way_to_the_words(
    models: EmbeddedModels, monkeypatch: pytest.MonkeyPatch, transcript: str, ends: bool
) -> None:
    monkeypatch.setattr(SharedSmartTurnAnalyzer, "_predict_endpoint", slow_model)
    asked, analyzer, judged = await asked_in_time(models, transcript, IDLE)

    assert (asked == [SAID]) is ends, asked
    assert analyzer.late_verdicts == 1 and analyzer.shed_verdicts == 0 and judged == ["late"]


async def test_a_limit_of_zero_always_asks_the_model(
    models: EmbeddedModels, verdicts: list[int]
) -> None:
    asked, analyzer, judged = await asked_in_time(models, SAID, LOADED, smart_turn_shed_lag_ms=0)

    assert asked == [SAID]
    assert verdicts == [1] and analyzer.shed_verdicts == 0 and judged == ["model"]


async def test_a_process_carrying_more_calls_than_the_model_judges_lets_the_words_decide(
    models: EmbeddedModels, verdicts: list[int]
) -> None:
    asked, analyzer, judged = await asked_in_time(models, SAID, IDLE, calls=1000)

    assert asked == [SAID], "an idle loop, but too many calls: the words ended the turn"
    assert verdicts == [] and analyzer.shed_verdicts == 1 and judged == ["shed"]


async def test_no_call_limit_asks_the_model_whatever_the_calls(
    models: EmbeddedModels, verdicts: list[int]
) -> None:
    asked, _, judged = await asked_in_time(
        models, SAID, IDLE, calls=1000, smart_turn_calls_per_core=0
    )

    assert asked == [SAID]
    assert verdicts == [1] and judged == ["model"]


def test_the_policy_says_why_it_sheds() -> None:
    calls, loop = [1], LoopLag()
    policy = ShedPolicy(calls=lambda: calls[0], max_calls=2, loop=loop, max_lag_secs=0.01)
    assert policy.busy() is None
    calls[0] = 3
    assert policy.busy() == "3 calls in this process (model for up to 2)"
    calls[0], loop.lag_secs = 2, 0.012
    assert policy.busy() == "event loop 12 ms late"
    assert ShedPolicy(calls=lambda: 99, loop=loop).busy() is None, "no limits, no shedding"
