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

from typing import TYPE_CHECKING

from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn, SmartTurnParams
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.turns.user_stop import (
    BaseUserTurnStopStrategy,
    SpeechTimeoutUserTurnStopStrategy,
    TurnAnalyzerUserTurnStopStrategy,
)
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from convonet.services.eager_turn import EagerSmartTurnStopStrategy
from convonet.settings import Settings

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

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


class SharedSmartTurnAnalyzer(LocalSmartTurnAnalyzerV3):
    """:class:`LocalSmartTurnAnalyzerV3` on an already loaded, process-wide ONNX session.

    The parent loads the model file in ``__init__``; every call would pay for that again.
    The per-call state (audio buffer, silence counter, worker thread) stays per analyzer.
    """

    def __init__(self, *, session: "InferenceSession", params: SmartTurnParams) -> None:
        """Create the analyzer.

        Args:
            session: The shared smart-turn ONNX session.
            params: Its timing (``stop_secs`` is the silence that ends a turn regardless).
        """
        BaseSmartTurn.__init__(self, params=params)
        self._log_data = False
        self._session = session


def turn_stop_strategy(settings: Settings, models: "EmbeddedModels") -> BaseUserTurnStopStrategy:
    """The stop strategy ``settings.turn_stop`` names, for one call."""
    if settings.turn_stop == "speech_timeout":
        # The speech-timeout stop strategy needs no model.
        return SpeechTimeoutUserTurnStopStrategy(
            user_speech_timeout=settings.user_speech_timeout_secs
        )
    analyzer = SharedSmartTurnAnalyzer(
        session=models.smart_turn,
        params=SmartTurnParams(stop_secs=settings.smart_turn_max_silence_secs),
    )
    if settings.prepare_reply:
        return EagerSmartTurnStopStrategy(
            turn_analyzer=analyzer, words_decide_disputes=settings.turn_confirm_by_agent
        )
    return TurnAnalyzerUserTurnStopStrategy(turn_analyzer=analyzer)


def user_turn_strategies(settings: Settings, models: "EmbeddedModels") -> UserTurnStrategies:
    """Pipecat's default start strategies (VAD, transcript) and our configured stop."""
    return UserTurnStrategies(stop=[turn_stop_strategy(settings, models)])
