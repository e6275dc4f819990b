"""Under load, the turn model is not asked or not waited for: the words end the turn instead.

At every VAD stop smart-turn listens to the last 8 s of the turn: tens of milliseconds of
CPU on an idle core (30-135 ms on the hosts measured). At 50 calls on 2 cores those
verdicts were a quarter to a third of the servers' CPU, and every call's audio waited for
the cores they took. When this process's event loop already runs late
(:class:`~convonet.lifecycle.loop_lag.LoopLag` above ``SMART_TURN_SHED_LAG_MS``), the model
is not asked (:class:`SheddingVerdict`). The turn then ends on the transcript, as soon as
pipecat would end a "finished" turn, unless its last words leave the sentence hanging
(:func:`~convonet.services.turn_words.words_sound_unfinished`); those, and a caller who
never gets a transcript, wait for the silence limit (:class:`WordsAfterShedStopStrategy`).

A verdict the model is asked for but gives later than ``SMART_TURN_WAIT_SECS`` after the VAD
stop (its thread waiting for a core, at moderate load before the loop itself runs late) is
given up the same way: the words then decide, and the turn no longer waits for the model.

The price is paid only under load: a pause after whole-sounding words ("add milk ... and
eggs") can end a shed turn, where the model's ear would have waited. On an idle server the
loop is not late and every turn gets the model's verdict as before.
"""

import asyncio

from loguru import logger
from pipecat.audio.turn.base_turn_analyzer import EndOfTurnState
from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn
from pipecat.frames.frames import Frame, TranscriptionFrame, VADUserStoppedSpeakingFrame
from pipecat.metrics.metrics import MetricsData
from pipecat.turns.types import ProcessFrameResult
from pipecat.turns.user_stop import TurnAnalyzerUserTurnStopStrategy

from convonet.lifecycle.loop_lag import LoopLag
from convonet.services.turn_words import words_sound_unfinished


class SheddingVerdict(BaseSmartTurn):
    """Smart-turn that gives no verdict while the event loop runs late, or gives up a late one.

    Attributes:
        verdict_shed: Whether the last VAD stop's verdict was shed or late (the words decide).
        shed_verdicts: How many verdicts this analyzer shed.
        late_verdicts: How many verdicts it gave up as late.
    """

    verdict_shed = False
    shed_verdicts = 0
    late_verdicts = 0
    _load: LoopLag | None = None
    _shed_lag_secs = 0.0
    _wait_secs = 0.0

    def shed_under(self, load: LoopLag | None, lag_secs: float, wait_secs: float = 0.0) -> None:
        """Set when verdicts are shed or given up (None or 0 turns either off).

        Args:
            load: The process's event-loop lag.
            lag_secs: Shed verdicts while ``load`` is above this.
            wait_secs: Give up verdicts later than this after the VAD stop.
        """
        self._load, self._shed_lag_secs, self._wait_secs = load, lag_secs, wait_secs

    async def analyze_end_of_turn(self) -> tuple[EndOfTurnState, MetricsData | None]:
        """The model's verdict; "unfinished" without it when the loop is late or it is late.

        Returns:
            The verdict and its metrics; ``INCOMPLETE`` and None when shed or late. The
            audio is kept then, so the silence limit still counts from the VAD stop.
        """
        self.verdict_shed = False
        if not self._audio_buffer:
            return await super().analyze_end_of_turn()
        load = self._load
        if load is not None and self._shed_lag_secs > 0 and load.above(self._shed_lag_secs):
            self.verdict_shed = True
            self.shed_verdicts += 1
            logger.debug(f"loop {load.lag_secs * 1000:.0f} ms late: smart-turn shed")
            return EndOfTurnState.INCOMPLETE, None
        if self._wait_secs <= 0:
            return await super().analyze_end_of_turn()
        try:
            async with asyncio.timeout(self._wait_secs):
                return await super().analyze_end_of_turn()
        except TimeoutError:
            # The model's thread finishes the verdict unread; it did not clear the audio.
            self.verdict_shed = True
            self.late_verdicts += 1
            logger.debug(f"smart-turn later than {self._wait_secs}s: the words decide")
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
