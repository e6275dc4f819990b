"""TransferPhraseProcessor with pipecat's run_test: asks for a person start a transfer, no LLM."""

from pipecat.frames.frames import (
    InterimTranscriptionFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.tests.utils import run_test

from convonet.errors import StorageError
from convonet.processors.transfer_phrases import TRANSFER_APOLOGY, TransferPhraseProcessor
from convonet.transfer.phrases import TransferAsk


def _final(text: str) -> TranscriptionFrame:
    return TranscriptionFrame(text=text, user_id="u", timestamp="now")


async def test_a_request_for_a_person_is_consumed_and_answered() -> None:
    asks: list[TransferAsk] = []
    context = LLMContext(messages=[{"role": "assistant", "content": "Hello!"}])
    conversation_at_start: list[object] = []

    async def start(ask: TransferAsk) -> str:
        asks.append(ask)
        # The transfer writes the agent's context now: the request must be in it already.
        conversation_at_start.extend(context.get_messages())
        return "Connecting you to billing."

    interim = InterimTranscriptionFrame(text="talk to someone", user_id="u", timestamp="now")
    down, _ = await run_test(
        TransferPhraseProcessor(start, context),
        frames_to_send=[interim, _final("Let me talk to someone in billing"), _final("thanks")],
        expected_down_frames=[
            InterimTranscriptionFrame,
            TTSSpeakFrame,
            TranscriptionFrame,
        ],
    )
    assert asks == [TransferAsk("billing", "Let me talk to someone in billing")]
    request = {"role": "user", "content": "Let me talk to someone in billing"}
    assert conversation_at_start[-1] == request
    assert context.get_messages()[-1] == request
    assert down[1].text == "Connecting you to billing."
    assert down[2].text == "thanks"


async def test_a_failing_start_is_apologised_for() -> None:
    async def start(ask: TransferAsk) -> str:
        raise StorageError("redis is down")

    down, _ = await run_test(
        TransferPhraseProcessor(start, LLMContext()),
        frames_to_send=[_final("operator")],
        expected_down_frames=[TTSSpeakFrame],
    )
    assert down[0].text == TRANSFER_APOLOGY
