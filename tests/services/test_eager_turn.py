"""Answering during the confirm window, on real speech: Silero, smart-turn, Whisper.

The caller's Piper speech goes through the speculative STT and the user aggregator with
:class:`~convonet.services.eager_turn.EagerSmartTurnStopStrategy`; what comes out is what
the agent would get: speculative contexts, withdrawals and the turn's confirmation.
"""

from pipecat.frames.frames import (
    EagerEndOfTurnCancelFrame,
    LLMContextFrame,
    UserStoppedSpeakingFrame,
)

from convonet.bench.speech import Turn, speak
from convonet.bench.wer import normalize
from convonet.services.models import EmbeddedModels
from tests.services.test_turn_taking import run_turns


async def test_a_finished_sentence_is_answered_from_the_speculation(
    models: EmbeddedModels,
) -> None:
    run = await run_turns(models, speak(Turn("What time is it?")))

    contexts = [f for f in run.down if isinstance(f, LLMContextFrame)]
    kinds = [type(f) for f in run.down]
    # One inference, started before the turn ended and confirmed by it: no second one.
    assert [c.speculation for c in contexts] == [True], contexts
    assert kinds.index(LLMContextFrame) < kinds.index(UserStoppedSpeakingFrame)
    assert EagerEndOfTurnCancelFrame not in kinds
    assert normalize(run.asked[0]) == "what time is it", run.asked
    prepared = contexts[0].context.get_messages()[-1]["content"]
    assert normalize(str(prepared)) == "what time is it"
