"""TransferPhraseProcessor: a caller asking for a person starts the transfer at once.

It sits between STT and the user aggregator. A final ``TranscriptionFrame`` that asks for a
person (:func:`~convonet.transfer.phrases.detect_transfer_ask`) is consumed, so no LLM turn
runs for it: the words go into the conversation, the transfer starts through the transfer
service (the ``start`` callback) and the bot says the short line the service returns. Every
other frame passes through unchanged, except an eager transcript (the turn not confirmed
yet) that asks for a person: no answer is prepared for a turn that starts a transfer.

The words are added to the call's ``LLMContext`` directly, before the transfer starts, not
with an ``LLMMessagesAppendFrame`` (pipecat's usual way): the transfer writes the agent's
context from that conversation as soon as it starts, and a frame still queued at the user
aggregator would leave the caller's request out of it (seen in a test run).

It runs in pipecat's direct mode: a frame is handled in the task of the processor that pushed
it (the STT), with no input queue and task of its own, because every 20 ms of the caller's
audio passes it. The transfer start (a database read and a Redis write) is therefore awaited
in the STT's task; it happens at most once or twice a call. Unlike with a queue of its own,
an interruption no longer cancels a transfer start half way.
"""

from collections.abc import Awaitable, Callable

from loguru import logger
from pipecat.frames.frames import (
    EagerTranscriptionFrame,
    Frame,
    TranscriptionFrame,
    TTSSpeakFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from convonet.errors import ConvonetError
from convonet.transfer.phrases import TransferAsk, detect_transfer_ask

TRANSFER_APOLOGY = "Sorry, I couldn't start the transfer just now. Can I help you myself?"
StartTransfer = Callable[[TransferAsk], Awaitable[str]]


class TransferPhraseProcessor(FrameProcessor):
    """Catches "a real person", "operator", ... in final transcripts and starts a transfer."""

    def __init__(self, start: StartTransfer, context: LLMContext, **kwargs: object) -> None:
        """Create the processor.

        Args:
            start: Starts the transfer for an ask; returns what the bot says about it.
            context: The call's conversation, which the caller's request joins.
            **kwargs: Passed to :class:`FrameProcessor` (direct mode unless given).
        """
        kwargs.setdefault("enable_direct_mode", True)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._start = start
        self._context = context

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Consume transfer requests; forward everything else."""
        await super().process_frame(frame, direction)
        if isinstance(frame, EagerTranscriptionFrame) and detect_transfer_ask(frame.text):
            return  # no answer is prepared for it: the committed transcript starts a transfer
        ask = (
            detect_transfer_ask(frame.text)
            if isinstance(frame, TranscriptionFrame) and direction == FrameDirection.DOWNSTREAM
            else None
        )
        if ask is None:
            await self.push_frame(frame, direction)
            return
        logger.info(f"transfer phrase heard: {ask.text!r} (department {ask.department})")
        self._context.add_message({"role": "user", "content": ask.text})
        try:
            line = await self._start(ask)
        except ConvonetError as exc:  # storage or transfer trouble: the caller still hears why
            logger.warning(f"transfer could not start: {exc}")
            line = TRANSFER_APOLOGY
        await self.push_frame(TTSSpeakFrame(line))
