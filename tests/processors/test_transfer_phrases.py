"""TransferPhraseProcessor with pipecat's run_test: asks for a person start a transfer, no LLM."""

from pipecat.frames.frames import (
    InterimTranscriptionFrame,
    LLMMessagesAppendFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
)
from pipecat.tests.utils import run_test

from convonet.errors import StorageError
from convonet.processors.transfer_phrases import TRANSFER_APOLOGY, TransferPhraseProcessor
from convonet.transfer.phrases import TransferAsk


def _final(text: str) -> TranscriptionFrame:
    return TranscriptionFrame(text=text, user_id="u", timestamp="now")


async def test_a_request_for_a_person_is_consumed_and_answered() -> None:
    asks: list[TransferAsk] = []

    async def start(ask: TransferAsk) -> str:
        asks.append(ask)
        return "Connecting you to billing."

    interim = InterimTranscriptionFrame(text="talk to someone", user_id="u", timestamp="now")
    down, _ = await run_test(
        TransferPhraseProcessor(start),
        frames_to_send=[interim, _final("Let me talk to someone in billing"), _final("thanks")],
        expected_down_frames=[
            InterimTranscriptionFrame,
            LLMMessagesAppendFrame,
            TTSSpeakFrame,
            TranscriptionFrame,
        ],
    )
    assert asks == [TransferAsk("billing", "Let me talk to someone in billing")]
    append = down[1]
    assert append.messages == [{"role": "user", "content": "Let me talk to someone in billing"}]
    assert append.run_llm is False
    assert down[2].text == "Connecting you to billing."
    assert down[3].text == "thanks"


async def test_a_failing_start_is_apologised_for() -> None:
    async def start(ask: TransferAsk) -> str:
        raise StorageError("redis is down")

    down, _ = await run_test(
        TransferPhraseProcessor(start),
        frames_to_send=[_final("operator")],
        expected_down_frames=[LLMMessagesAppendFrame, TTSSpeakFrame],
    )
    assert down[1].text == TRANSFER_APOLOGY
