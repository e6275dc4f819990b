"""LangGraphProcessor: runs a compiled LangGraph agent as the pipeline's LLM.

It consumes ``LLMContextFrame``, streams the agent's spoken tokens as ``LLMTextFrame``s
between ``LLMFullResponseStartFrame`` and ``LLMFullResponseEndFrame`` (the end frame is always
sent), and lets ``CancelledError`` propagate so an interruption cancels the graph mid-stream.
The turn's rules (timeout, apology, tool log, ``end_call``, transfer) live in
:func:`~convonet.agents.turn.run_agent_turn`; here its outcome becomes frames: an
``AgentTurnFrame`` after every turn (its outcome names a requested transfer), an ``ErrorFrame``
upstream when it failed, an ``EndWorkerFrame`` after a goodbye. The client hears of a transfer
from :class:`~convonet.processors.transfer_events.TransferEventsProcessor`, which relays every
change the transfer service publishes (one path for the tool and the phrase detector).
"""

from pipecat.frames.frames import (
    EndWorkerFrame,
    Frame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from convonet.agents.context import AgentContext
from convonet.agents.graph import AgentGraph
from convonet.agents.turn import DEFAULT_APOLOGY, AgentOutcome, run_agent_turn
from convonet.processors.context_messages import to_langchain
from convonet.processors.frames import AgentTurnFrame


class LangGraphProcessor(FrameProcessor):
    """A pipecat processor that answers each user turn with a LangGraph agent."""

    def __init__(
        self,
        graph: AgentGraph,
        context: AgentContext,
        *,
        turn_timeout_secs: float = 10.0,
        apology: str = DEFAULT_APOLOGY,
        **kwargs: object,
    ) -> None:
        """Create the processor.

        Args:
            graph: The compiled agent graph (takes ``AgentContext`` as run-time context).
            context: Who is calling, with which bot; passed to every node and tool.
            turn_timeout_secs: Upper bound on one agent turn.
            apology: Spoken when the agent fails.
            **kwargs: Passed to :class:`FrameProcessor`.
        """
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._graph = graph
        self._context = context
        self._turn_timeout_secs = turn_timeout_secs
        self._apology = apology

    def can_generate_metrics(self) -> bool:
        """This processor reports TTFB and processing time like an LLM service."""
        return True

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Answer ``LLMContextFrame``s; forward everything else."""
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            await self._respond(frame)
        else:
            await self.push_frame(frame, direction)

    async def _respond(self, frame: LLMContextFrame) -> None:
        first = True

        async def speak(text: str) -> None:
            nonlocal first
            if first:
                first = False
                await self.stop_ttfb_metrics()
            await self.push_frame(LLMTextFrame(text))

        await self.push_frame(LLMFullResponseStartFrame())
        await self.start_processing_metrics()
        await self.start_ttfb_metrics()
        try:
            outcome = await run_agent_turn(
                self._graph,
                self._context,
                to_langchain(frame.context.get_messages()),
                timeout_secs=self._turn_timeout_secs,
                apology=self._apology,
                on_text=speak,
            )
        finally:  # also on cancellation (barge-in): the response always ends
            await self.stop_ttfb_metrics()
            await self.stop_processing_metrics()
            await self.push_frame(LLMFullResponseEndFrame())
        await self._finish(outcome)

    async def _finish(self, outcome: AgentOutcome) -> None:
        if outcome.error is not None:
            await self.push_error(outcome.error)
        await self.push_frame(AgentTurnFrame(session_id=self._context.session_id, outcome=outcome))
        if outcome.ends_call:
            # Downstream, behind the goodbye, so it is spoken before the pipeline ends.
            await self.push_frame(EndWorkerFrame(reason="caller said goodbye"))
