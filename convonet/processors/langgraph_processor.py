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

A speculative ``LLMContextFrame`` (pipecat's eager end of turn: the caller may not have
finished) is answered at once, but its response waits in pipecat's ``SpeculationGate``, as
in pipecat's LLM services: ``UserStoppedSpeakingFrame`` releases it, and
``EagerEndOfTurnCancelFrame`` or an interruption cancels the run and drops it. Tool calls
that change anything wait for the release (:mod:`convonet.agents.speculation`), and the
text goes ahead as :class:`SpeechPreviewFrame`s so the TTS can synthesize meanwhile. A
prepared reply whose model judged the caller's request whole sends
``UserTurnInferenceCompletedFrame`` upstream, which lets the STT confirm the turn at once.
Frames merely passing through are not held.
"""

import asyncio

from pipecat.frames.frames import (
    EagerEndOfTurnCancelFrame,
    EndFrame,
    EndWorkerFrame,
    Frame,
    InterruptionFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    SystemFrame,
    UserStoppedSpeakingFrame,
    UserTurnInferenceCompletedFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.turns.speculation_gate import SpeculationGate

from convonet.agents.context import AgentContext
from convonet.agents.graph import AgentGraph
from convonet.agents.speculation import speculative
from convonet.agents.turn import DEFAULT_APOLOGY, AgentOutcome, run_agent_turn
from convonet.processors.context_messages import to_langchain
from convonet.processors.frames import AgentTurnFrame, SpeechPreviewFrame


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
        self._gate = SpeculationGate(name=f"{self}::SpeculationGate")
        # Set once the turn being answered is confirmed (its tool calls may go on).
        self._confirmation = asyncio.Event()
        self._speculation: asyncio.Task[None] | None = None  # a run answering ahead

    def can_generate_metrics(self) -> bool:
        """This processor reports TTFB and processing time like an LLM service."""
        return True

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Answer ``LLMContextFrame``s; forward everything else."""
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            await self._respond(frame)
            return
        if isinstance(frame, EagerEndOfTurnCancelFrame | InterruptionFrame):
            # The caller went on (or spoke over the bot): stop a run not yet confirmed.
            await self._settle_speculation(keep_confirmed=False)
        elif isinstance(frame, EndFrame):
            await self._settle_speculation(keep_confirmed=True)
        if isinstance(frame, SystemFrame | EndFrame):
            await self.push_frame(frame, direction)  # the gate decides on these
        else:
            # Not part of a response (e.g. the transfer line): never held behind one.
            await self._push_ungated(frame, direction)
        if isinstance(frame, UserStoppedSpeakingFrame):
            self._confirmation.set()  # the gate has released the response

    async def push_frame(
        self, frame: Frame, direction: FrameDirection = FrameDirection.DOWNSTREAM
    ) -> None:
        """Push through the speculation gate (which may hold, release or drop frames)."""
        for gated, gated_direction in self._gate.process(frame, direction):
            await super().push_frame(gated, gated_direction)

    async def cleanup(self) -> None:
        """Stop a run still waiting for its turn (the call ended)."""
        await self._settle_speculation(keep_confirmed=False)
        await super().cleanup()

    async def _push_ungated(
        self, frame: Frame, direction: FrameDirection = FrameDirection.DOWNSTREAM
    ) -> None:
        await super().push_frame(frame, direction)

    async def _respond(self, frame: LLMContextFrame) -> None:
        await self._settle_speculation(keep_confirmed=True)  # one answer at a time
        self._gate.begin_speculation(frame.speculation)
        self._confirmation = asyncio.Event()
        if not self._gate.is_speculating:
            self._confirmation.set()
            await self._answer_and_finish(frame, self._confirmation)
            return
        # Answered aside, so frames queued behind it (a transfer line, the end of the call)
        # are not stuck until the turn is confirmed.
        self._speculation = self.create_task(
            self._answer_and_finish(frame, self._confirmation), f"{self}::speculation"
        )

    async def _answer_and_finish(self, frame: LLMContextFrame, confirmation: asyncio.Event) -> None:
        await self._finish(await self._answer(frame, confirmation))

    async def _settle_speculation(self, *, keep_confirmed: bool) -> None:
        """Cancel the run answering ahead, or let it finish if its turn was confirmed."""
        task, self._speculation = self._speculation, None
        if task is None or task.done():
            return
        if keep_confirmed and self._confirmation.is_set():
            await task
        else:
            await self.cancel_task(task)

    async def _answer(self, frame: LLMContextFrame, confirmation: asyncio.Event) -> AgentOutcome:
        """Run the agent turn; a speculative one returns only once its turn is confirmed."""
        first = True

        async def speak(text: str) -> None:
            nonlocal first
            if self._gate.is_speculating:  # held: the TTS may prepare it meanwhile
                await self._push_ungated(SpeechPreviewFrame(text, reply_start=first))
            if first:
                first = False
                await self.stop_ttfb_metrics()
            await self.push_frame(LLMTextFrame(text))

        async def judge(whole: bool) -> None:
            if whole and self._gate.is_speculating:
                # The caller's words made a whole request: the STT need not wait out the
                # rest of its confirm window (pipecat's semantic completeness). Sent as soon
                # as a message carries it, not at the end of the run.
                await self.push_frame(UserTurnInferenceCompletedFrame(), FrameDirection.UPSTREAM)

        await self.push_frame(LLMFullResponseStartFrame())
        await self.start_processing_metrics()
        await self.start_ttfb_metrics()
        try:
            with speculative(confirmation):
                outcome = await run_agent_turn(
                    self._graph,
                    self._context,
                    to_langchain(frame.context.get_messages()),
                    timeout_secs=self._turn_timeout_secs,
                    apology=self._apology,
                    on_text=speak,
                    on_verdict=judge,
                )
            if self._gate.is_speculating:
                await self._push_ungated(SpeechPreviewFrame(reply_end=True))
        finally:  # also on cancellation (barge-in, withdrawal): the response always ends
            await self.stop_ttfb_metrics()
            await self.stop_processing_metrics()
            await self.push_frame(LLMFullResponseEndFrame())
        # Its outcome (the turn record, a goodbye's end) counts only for a confirmed turn.
        await confirmation.wait()
        return outcome

    async def _finish(self, outcome: AgentOutcome) -> None:
        if outcome.error is not None:
            await self.push_error(outcome.error)
        await self.push_frame(AgentTurnFrame(session_id=self._context.session_id, outcome=outcome))
        if outcome.ends_call:
            # Downstream, behind the goodbye, so it is spoken before the pipeline ends.
            await self.push_frame(EndWorkerFrame(reason="caller said goodbye"))
