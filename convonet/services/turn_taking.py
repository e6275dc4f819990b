"""How a caller's turn ends: pipecat's smart-turn v3 model, or a fixed pause.

With ``TURN_STOP=smart_turn`` (the default) the turn decision comes from whether the sentence
sounds finished: at every VAD stop, the smart-turn v3.2 CPU model that ships inside the
pipecat wheel (ONNX, numpy features, no torch) listens to the last 8 s of the turn. "Finished"
ends the turn as soon as the transcript is in; "unfinished" waits, and only
``SMART_TURN_MAX_SILENCE_SECS`` of silence ends the turn anyway. A pause inside "add milk...
and eggs to my list" therefore no longer splits the turn, without a longer VAD stop.

``TURN_STOP=speech_timeout`` keeps the earlier behaviour: the turn ends a fixed
``USER_SPEECH_TIMEOUT_SECS`` after the VAD stop.
"""

import asyncio
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from loguru import logger
from pipecat.audio.turn.base_turn_analyzer import EndOfTurnState
from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn, SmartTurnParams
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.turns.user_stop import (
    BaseUserTurnStopStrategy,
    SpeechTimeoutUserTurnStopStrategy,
)
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from convonet.lifecycle.capacity import smart_turn_max_calls
from convonet.lifecycle.loop_lag import LoopLag
from convonet.services.eager_turn import EagerSmartTurnStopStrategy
from convonet.services.turn_shedding import (
    SheddingVerdict,
    ShedPolicy,
    VerdictSink,
    WordsAfterShedStopStrategy,
)
from convonet.settings import Settings

if TYPE_CHECKING:
    from onnxruntime import InferenceSession
    from pipecat.metrics.metrics import MetricsData

    from convonet.services.models import EmbeddedModels

SMART_TURN_PACKAGE = "pipecat.audio.turn.smart_turn.data"
SMART_TURN_MODEL = "smart-turn-v3.2-cpu.onnx"


def load_smart_turn_session() -> "InferenceSession":
    """Load the smart-turn v3.2 CPU model bundled in the pipecat wheel (never downloaded)."""
    from importlib import resources

    import onnxruntime as ort

    options = ort.SessionOptions()
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # One thread per inference: calls run side by side on a 2-core box, and the model takes
    # tens of milliseconds on one core.
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    path = resources.files(SMART_TURN_PACKAGE).joinpath(SMART_TURN_MODEL)
    return ort.InferenceSession(str(path), sess_options=options)


class SilenceBoundedVerdict(BaseSmartTurn):
    """Smart-turn whose verdict is not waited for longer than its own silence limit.

    Why: pipecat's stop strategy awaits the verdict in the task that also reads the caller's
    audio, so while the model's thread waits for a core (a loaded server: seconds), the
    silence limit cannot fire either, and "only ``stop_secs`` of silence ends the turn
    anyway" no longer holds. A verdict that comes later than that limit could only have
    shortened a turn the limit had ended by then, so it is given up as "unfinished": the
    task goes back to the queued audio, and the silence limit, counted on that audio, ends
    the turn if the caller stayed quiet, or the VAD start cancels it if they went on.
    """

    async def analyze_end_of_turn(self) -> tuple[EndOfTurnState, "MetricsData | None"]:
        """Pipecat's analysis within ``stop_secs``; nothing to judge returns at once.

        Returns:
            The verdict and its metrics, or ``INCOMPLETE`` and None without a verdict.
        """
        if not self._audio_buffer:
            # The silence limit just cleared the turn: pipecat's own answer for an empty
            # buffer, without queueing behind a verdict still running on the model's thread.
            return EndOfTurnState.INCOMPLETE, None
        try:
            async with asyncio.timeout(self._params.stop_secs):
                return await super().analyze_end_of_turn()
        except TimeoutError:
            logger.debug("smart-turn verdict later than {}s: unfinished", self._params.stop_secs)
            return EndOfTurnState.INCOMPLETE, None


class SharedSmartTurnAnalyzer(SheddingVerdict, SilenceBoundedVerdict, LocalSmartTurnAnalyzerV3):
    """:class:`LocalSmartTurnAnalyzerV3` on an already loaded, process-wide ONNX session.

    The parent loads the model file in ``__init__``; every call would pay for that again.
    The per-call state (audio buffer, silence counter, worker thread) stays per analyzer.
    Under load it gives no verdict (:class:`SheddingVerdict`).
    """

    def __init__(
        self, *, session: "InferenceSession", params: SmartTurnParams, thread_nice: int = 0
    ) -> None:
        """Create the analyzer.

        Args:
            session: The shared smart-turn ONNX session.
            params: Its timing (``stop_secs`` is the silence that ends a turn regardless).
            thread_nice: How much lower than the process the model's thread is scheduled.
        """
        BaseSmartTurn.__init__(self, params=params)
        self._log_data = False
        self._session = session
        self._thread_nice = thread_nice

    @property
    def _model_executor(self) -> ThreadPoolExecutor:
        """The model's thread (pipecat's), started at ``thread_nice`` below the process."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=1, initializer=lower_thread_priority, initargs=(self._thread_nice,)
            )
        return self._executor


def lower_thread_priority(nice: int) -> None:
    """Make the calling thread ``nice`` steps less urgent than it is (Linux: nice is per thread).

    Why: under load the model's ~50-70 ms bursts compete for the cores with the event loop
    that carries every call's audio and timers; the loop should win, and the one turn
    waiting for its verdict can wait.
    """
    # Elsewhere nice belongs to the whole process: the server itself would be lowered.
    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        os.nice(nice)
    except OSError as error:  # not permitted, or no such notion here: run at normal priority
        logger.warning(f"smart-turn thread keeps its priority: {error}")


def shed_policy(
    settings: Settings,
    loop: LoopLag | None = None,
    calls: Callable[[], int] | None = None,
    on_verdict: VerdictSink | None = None,
) -> ShedPolicy:
    """When this process's calls get no smart-turn verdict, from the settings.

    Args:
        settings: ``SMART_TURN_CALLS_PER_CORE``, ``SMART_TURN_SHED_LAG_MS``,
            ``SMART_TURN_WAIT_SECS``.
        loop: The process's event-loop lag (no lag limit without it).
        calls: The calls the process carries now (no call limit without it).
        on_verdict: Told how each VAD stop was judged (model, shed or late).
    """
    return ShedPolicy(
        calls=calls,
        max_calls=smart_turn_max_calls(settings),
        loop=loop,
        max_lag_secs=settings.smart_turn_shed_lag_ms / 1000,
        wait_secs=settings.smart_turn_wait_secs,
        on_verdict=on_verdict,
    )


def turn_stop_strategy(
    settings: Settings, models: "EmbeddedModels", policy: ShedPolicy | None = None
) -> BaseUserTurnStopStrategy:
    """The stop strategy ``settings.turn_stop`` names, for one call.

    Args:
        settings: The turn settings.
        models: The process's models (smart-turn's ONNX session).
        policy: When smart-turn is shed or not waited for; without it, only a verdict later
            than ``SMART_TURN_WAIT_SECS`` is given up.
    """
    if settings.turn_stop == "speech_timeout":
        # The speech-timeout stop strategy needs no model.
        return SpeechTimeoutUserTurnStopStrategy(
            user_speech_timeout=settings.user_speech_timeout_secs
        )
    analyzer = SharedSmartTurnAnalyzer(
        session=models.smart_turn,
        params=SmartTurnParams(stop_secs=settings.smart_turn_max_silence_secs),
        thread_nice=settings.smart_turn_thread_nice,
    )
    analyzer.shed_under(policy or shed_policy(settings))
    if settings.prepare_reply:
        return EagerSmartTurnStopStrategy(
            turn_analyzer=analyzer, words_decide_disputes=settings.turn_confirm_by_agent
        )
    return WordsAfterShedStopStrategy(turn_analyzer=analyzer)


def user_turn_strategies(
    settings: Settings, models: "EmbeddedModels", policy: ShedPolicy | None = None
) -> UserTurnStrategies:
    """Pipecat's default start strategies (VAD, transcript) and our configured stop."""
    return UserTurnStrategies(stop=[turn_stop_strategy(settings, models, policy)])
