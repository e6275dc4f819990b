"""Under load, the turn model is not asked or not waited for: the words end the turn instead.

At every VAD stop smart-turn listens to the last 8 s of the turn: tens of milliseconds of
CPU on an idle core (30-135 ms on the hosts measured). At 50 calls on 2 cores those
verdicts were a quarter to a third of the servers' CPU, and every call's audio waited for
the cores they took. So the model is not asked (:class:`SheddingVerdict`, by its
:class:`ShedPolicy`) while this process carries more calls than ``SMART_TURN_CALLS_PER_CORE``
allows, or while its event loop already runs late
(:class:`~convonet.lifecycle.loop_lag.LoopLag` above ``SMART_TURN_SHED_LAG_MS``). The turn
then ends on the transcript, as soon as pipecat would end a "finished" turn, unless its last
words leave the sentence hanging (:func:`~convonet.services.turn_words.words_sound_unfinished`);
those, and a caller who never gets a transcript, wait for the silence limit
(:class:`WordsAfterShedStopStrategy`).

A verdict the model is asked for but gives later than ``SMART_TURN_WAIT_SECS`` after the VAD
stop (its thread waiting for a core) is given up the same way: the words then decide, and
the turn no longer waits for the model.

The price is paid only under load: a pause after whole-sounding words ("add milk ... and
eggs") can end a shed turn, where the model's ear would have waited. A process with a call or
two per core asks the model at every VAD stop, as before.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from loguru import logger
from pipecat.audio.turn.base_turn_analyzer import EndOfTurnState
from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn
from pipecat.frames.frames import Frame, TranscriptionFrame, VADUserStoppedSpeakingFrame
from pipecat.metrics.metrics import MetricsData
from pipecat.turns.types import ProcessFrameResult
from pipecat.turns.user_stop import TurnAnalyzerUserTurnStopStrategy

from convonet.lifecycle.loop_lag import LoopLag
from convonet.services.turn_words import words_sound_unfinished

Verdict = Literal["model", "shed", "late"]
VerdictSink = Callable[[Verdict], None]


@dataclass(frozen=True)
class ShedPolicy:
    """When a VAD stop gets no model verdict, or does not wait for it (0 or None: never).

    Attributes:
        calls: The calls this process carries now.
        max_calls: Shed while ``calls()`` is above this.
        loop: The process's event-loop lag.
        max_lag_secs: Shed while ``loop`` is later than this on average.
        wait_secs: Give up a verdict later than this after the VAD stop.
        on_verdict: Told how each VAD stop was judged: by the ``model``, or ``shed`` or
            ``late`` (the words decide); synchronous (a metric).
    """

    calls: Callable[[], int] | None = None
    max_calls: int = 0
    loop: LoopLag | None = None
    max_lag_secs: float = 0.0
    wait_secs: float = 0.0
    on_verdict: VerdictSink | None = None

    def busy(self) -> str | None:
        """Why the model is not to be asked now (for the log), or None to ask it."""
        if self.calls is not None and self.max_calls > 0 and (n := self.calls()) > self.max_calls:
            return f"{n} calls in this process (model for up to {self.max_calls})"
        loop = self.loop
        if loop is not None and self.max_lag_secs > 0 and loop.above(self.max_lag_secs):
            return f"event loop {loop.lag_secs * 1000:.0f} ms late"
        return None

    def told(self, verdict: Verdict) -> None:
        """Pass how a VAD stop was judged to ``on_verdict``."""
        if self.on_verdict is not None:
            self.on_verdict(verdict)


class SheddingVerdict(BaseSmartTurn):
    """Smart-turn that gives no verdict while its process is busy, or gives up a late one.

    Attributes:
        verdict_shed: Whether the last VAD stop's verdict was shed or late (the words decide).
        shed_verdicts: How many verdicts this analyzer shed.
        late_verdicts: How many verdicts it gave up as late.
    """

    verdict_shed = False
    shed_verdicts = 0
    late_verdicts = 0
    _policy = ShedPolicy()

    def shed_under(self, policy: ShedPolicy) -> None:
        """Set when verdicts are shed or given up."""
        self._policy = policy

    async def analyze_end_of_turn(self) -> tuple[EndOfTurnState, MetricsData | None]:
        """The model's verdict; "unfinished" without it when the process is busy or it is late.

        Returns:
            The verdict and its metrics; ``INCOMPLETE`` and None when shed or late. The
            audio is kept then, so the silence limit still counts from the VAD stop.
        """
        self.verdict_shed = False
        if not self._audio_buffer:
            return await super().analyze_end_of_turn()  # nothing to judge: no verdict counted
        policy = self._policy
        if (why := policy.busy()) is not None:
            self.shed_verdicts += 1
            logger.debug(f"smart-turn shed: {why}")
            return self._words_decide("shed")
        if policy.wait_secs <= 0:
            return self._by_model(await super().analyze_end_of_turn())
        try:
            async with asyncio.timeout(policy.wait_secs):
                return self._by_model(await super().analyze_end_of_turn())
        except TimeoutError:
            # The model's thread finishes the verdict unread; it did not clear the audio.
            self.late_verdicts += 1
            logger.debug(f"smart-turn later than {policy.wait_secs}s: the words decide")
            return self._words_decide("late")

    def _by_model(
        self, result: tuple[EndOfTurnState, MetricsData | None]
    ) -> tuple[EndOfTurnState, MetricsData | None]:
        self._policy.told("model")
        return result

    def _words_decide(self, why: Verdict) -> tuple[EndOfTurnState, MetricsData | None]:
        self.verdict_shed = True
        self._policy.told(why)
        return EndOfTurnState.INCOMPLETE, None


class WordsAfterShedStopStrategy(TurnAnalyzerUserTurnStopStrategy):
    """Pipecat's smart-turn stop strategy; after a shed verdict, whole words end the turn."""

    async def process_frame(self, frame: Frame) -> ProcessFrameResult:
        """Pipecat's handling; then, after a shed verdict, the words may end the turn."""
        result = await super().process_frame(frame)
        if isinstance(frame, (TranscriptionFrame, VADUserStoppedSpeakingFrame)):
            await self._maybe_end_by_words()
        return result

    async def _maybe_end_by_words(self) -> None:
        analyzer = self._turn_analyzer
        if not (isinstance(analyzer, SheddingVerdict) and analyzer.verdict_shed):
            return
        if self._turn_complete or self._vad_user_speaking or not self._vad_stopped:
            return
        if words_sound_unfinished(self._text):
            return  # hanging or no words yet: a later transcript or the silence limit
        # As if the model had said "finished": pipecat still waits for the final transcript
        # (or its STT timeout) before the turn ends.
        self._turn_complete = True
        await self._maybe_trigger_user_turn_stopped()
