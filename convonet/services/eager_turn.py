"""Smart-turn that answers the STT's eager end of turn while the confirm window runs.

With a confirm window (``TURN_CONFIRM_SECS``) the speculative Whisper STT has the turn's
transcript ~0.2 s before it may release it: the caller could still go on after a pause.
Waiting idle wastes that time, and the agent plus Piper's first clause take another
~0.1 s after the release. Pipecat 1.14 has the machinery to spend the wait: the STT
reports an *eager* end of turn (``EagerTranscriptionFrame``), a stop strategy starts a
speculative inference on a provisional context, the LLM holds its response in a
``SpeculationGate``, and the turn end either confirms it (``UserStoppedSpeakingFrame``
releases it, no second inference) or withdraws it (``EagerEndOfTurnCancelFrame``).

Pipecat's :class:`~pipecat.turns.user_stop.EagerUserTurnStopStrategy` pairs that with
turn detection inside the STT service. Here the turn decision stays smart-turn's (and
the confirm window's), so :class:`EagerSmartTurnStopStrategy` adds the same speculation
rules to pipecat's :class:`TurnAnalyzerUserTurnStopStrategy` (by way of
:class:`~convonet.services.turn_shedding.WordsAfterShedStopStrategy`):

- it speculates whatever smart-turn rated the stop. When smart-turn heard the sentence
  unfinished but the agent, answering ahead, judges the words a whole request
  (``UserTurnInferenceCompletedFrame``), the two disagree: the turn then ends when the
  STT's confirm window releases the transcript (the caller has been quiet that long),
  not at smart-turn's longer silence limit, and never earlier. The strategy tells the
  STT so with a :class:`TurnDisputedFrame`, so the verdict does not release the held
  transcript early as it does when the two agree;
- the turn end keeps the response when the committed transcript matches the eager one
  (pipecat's ``NormalizedMatch``: case and punctuation aside), else withdraws it and
  runs the agent again on what was committed;
- a speculation nothing resolves is withdrawn after ``speculation_timeout`` seconds.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

from loguru import logger
from pipecat.frames.frames import (
    EagerEndOfTurnCancelFrame,
    EagerTranscriptionFrame,
    Frame,
    SystemFrame,
    TranscriptionFrame,
    UserTurnInferenceCompletedFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.turns.types import ProcessFrameResult, UserTurnSpeculation
from pipecat.turns.user_stop import EagerMatchPolicy, NormalizedMatch

from convonet.services.turn_shedding import WordsAfterShedStopStrategy

# Far longer than any confirm window: only a lost frame leaves a speculation unresolved.
SPECULATION_TIMEOUT_SECS = 3.0


@dataclass
class TurnDisputedFrame(SystemFrame):
    """Upstream: smart-turn heard the held transcript's sentence as unfinished.

    The reply is prepared all the same, but only the confirm window may end the turn: the
    agent's verdict must not release the transcript early
    (:class:`~convonet.services.speculative_stt.SpeculativeWhisperSTTService`).
    """


class EagerSmartTurnStopStrategy(WordsAfterShedStopStrategy):
    """Smart-turn's stop strategy that answers eager ends of turn."""

    def __init__(
        self,
        *,
        match_policy: EagerMatchPolicy | None = None,
        speculation_timeout: float = SPECULATION_TIMEOUT_SECS,
        words_decide_disputes: bool = True,
        **kwargs: Any,
    ) -> None:
        """Create the strategy.

        Args:
            match_policy: When the committed transcript still matches the eager one.
            speculation_timeout: Seconds before an unresolved speculation is withdrawn.
            words_decide_disputes: End a turn smart-turn heard unfinished at the confirm
                window when the agent judged its words whole (``TURN_CONFIRM_BY_AGENT``).
            **kwargs: Passed on (``turn_analyzer`` is required).
        """
        super().__init__(**kwargs)
        self._match_policy = match_policy or NormalizedMatch()
        self._speculation_timeout = speculation_timeout
        self._words_decide_disputes = words_decide_disputes
        self._speculation: UserTurnSpeculation | None = None
        self._timer: asyncio.Task[None] | None = None
        # Whether smart-turn rated the speculation's stop unfinished, and whether the agent
        # has since judged its words a whole request.
        self._disputed = False
        self._judged_whole = False
        # Every transcript committed in this turn; the user message is all of them.
        self._committed: list[str] = []

    async def process_frame(self, frame: Frame) -> ProcessFrameResult:
        """Speculate on an eager transcript, forget a withdrawn one; then smart-turn."""
        if isinstance(frame, TranscriptionFrame):
            # Before the parent, which may end the turn on this very transcript.
            self._committed.append(frame.text.strip())
        elif isinstance(frame, EagerTranscriptionFrame):
            await self._speculate(frame.text)
        elif isinstance(frame, EagerEndOfTurnCancelFrame):
            await self._take_speculation()
        elif isinstance(frame, UserTurnInferenceCompletedFrame) and self._speculation:
            self._judged_whole = True  # the agent's verdict, on its way up to the STT
        result = await super().process_frame(frame)
        if isinstance(frame, (TranscriptionFrame, UserTurnInferenceCompletedFrame)):
            await self._maybe_end_disputed_turn()
        return result

    async def _maybe_end_disputed_turn(self) -> None:
        """End a turn smart-turn heard unfinished once its words are whole and confirmed.

        Confirmed means the STT released the transcript the reply was prepared from, which
        it does only after its confirm window of quiet for a disputed turn.
        """
        speculation = self._speculation
        if speculation is None or not self._words_decide_disputes:
            return
        if not (self._disputed and self._judged_whole):
            return
        if self._match_policy.matches(speculation.text, self._turn_text()):
            logger.debug(f"{self}: smart-turn said unfinished, the words are whole: turn ends")
            await self.trigger_user_turn_stopped()

    async def trigger_user_turn_stopped(self, *, enable_user_speaking_frames: bool | None = None):
        """End the turn, keeping the speculative response if it answers what was said."""
        speculation = await self._take_speculation()
        if speculation is None:
            await super().trigger_user_turn_stopped(
                enable_user_speaking_frames=enable_user_speaking_frames
            )
            return
        committed = self._turn_text()
        if self._match_policy.matches(speculation.text, committed):
            logger.debug(f"{self}: eager end of turn confirmed: [{committed}]")
            await self.trigger_user_turn_finalized(
                enable_user_speaking_frames=enable_user_speaking_frames,
                confirms_speculation=True,
            )
            return
        logger.debug(
            f"{self}: eager end of turn missed ([{speculation.text}] vs [{committed}]); "
            "answering the committed transcript"
        )
        await self.trigger_user_turn_speculation_cancelled()
        await super().trigger_user_turn_stopped(
            enable_user_speaking_frames=enable_user_speaking_frames
        )

    async def _reset(self) -> None:
        speculation = await self._take_speculation()
        self._committed = []
        await super()._reset()
        if speculation is not None:
            # The turn ended some other way (an interruption, the stop watchdog): nothing
            # else will withdraw the held response.
            await self.trigger_user_turn_speculation_cancelled()

    async def cleanup(self) -> None:
        """Stop the speculation timer with the call."""
        await self._take_speculation()
        await super().cleanup()

    def _turn_text(self, eager: str = "") -> str:
        return " ".join(part for part in (*self._committed, eager.strip()) if part)

    async def _speculate(self, text: str) -> None:
        await self._take_speculation()
        speculation = UserTurnSpeculation(text=self._turn_text(text))
        self._speculation = speculation
        self._disputed = not self._turn_complete
        if self._disputed:
            await self.push_frame(TurnDisputedFrame(), FrameDirection.UPSTREAM)
        self._timer = self.task_manager.create_task(
            self._expire(speculation), f"{self}::speculation_timeout"
        )
        logger.debug(f"{self}: answering eager end of turn: [{speculation.text}]")
        await self.trigger_user_turn_inference_triggered(speculation=speculation)

    async def _expire(self, speculation: UserTurnSpeculation) -> None:
        await asyncio.sleep(self._speculation_timeout)
        self._timer = None  # this timer fired; nothing to cancel
        if self._speculation is speculation:
            logger.debug(f"{self}: eager end of turn unresolved; withdrawn")
            self._speculation = None
            await self.trigger_user_turn_speculation_cancelled()

    async def _take_speculation(self) -> UserTurnSpeculation | None:
        """The speculation in flight, if any, with its timer stopped (the one way out)."""
        speculation, self._speculation = self._speculation, None
        self._disputed = self._judged_whole = False
        if self._timer is not None:
            timer, self._timer = self._timer, None
            await self.task_manager.cancel_task(timer)
        return speculation
