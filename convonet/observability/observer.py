"""The call observer: turns a call's frames into Prometheus metrics and a Sentry trace.

:class:`CallObserver` is a pipecat observer added to every pipeline by ``build_pipeline``.
Pipecat runs each observer on a queue of its own, so nothing here slows the pipeline; the
handlers only update in-memory state (no I/O is awaited). Per turn it notes the moments of
:class:`~convonet.observability.turns.TurnTiming` from these frames (downstream, first push):

* ``VADUserStoppedSpeakingFrame``: the real end of speech (its time minus ``stop_secs``);
* ``TranscriptionFrame``: the last transcript before the agent starts;
* ``LLMFullResponseStartFrame`` / ``LLMTextFrame`` from the agent, then ``AgentTurnFrame``
  (the agent's own times, tool calls, LLM, error and thread reset);
* ``TTSAudioRawFrame``, ``BotStartedSpeakingFrame``, ``BotStoppedSpeakingFrame``;
* ``InterruptionFrame`` while the bot answers or speaks: a barge-in.

Frame times come from the pipeline clock (taken when a frame is pushed, not when the
observer gets to it), converted to wall-clock time.
"""

import time
from collections.abc import Callable

from loguru import logger
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    ClientConnectedFrame,
    Frame,
    InterruptionFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.processors.frame_processor import FrameDirection

from convonet.observability.metrics import AppMetrics
from convonet.observability.sentry import CallTrace
from convonet.observability.turns import TurnTiming
from convonet.processors.frames import AgentTurnFrame
from convonet.processors.langgraph_processor import LangGraphProcessor
from convonet.session import CallSession


class CallObserver(BaseObserver):
    """Feeds one call's turns to the app's metrics and, when enabled, to Sentry."""

    def __init__(
        self,
        session: CallSession,
        metrics: AppMetrics,
        *,
        sentry: bool,
        time_source: Callable[[], float] = time.time,
    ) -> None:
        """Create the observer for one call.

        Args:
            session: The call.
            metrics: The app's metrics.
            sentry: Whether to trace the call in Sentry.
            time_source: Reads the wall clock (a test may drive a call without waiting).
        """
        super().__init__(observe_every_push=False)
        self._session = session
        self._metrics = metrics
        self._now = time_source
        self._started_at = time_source()
        self.trace = CallTrace(session, self._started_at) if sentry else None
        self._offset: float | None = None  # wall clock minus pipeline clock, seconds
        self._connected_at: float | None = None
        self._greeted = False
        self._bot_speaking = False
        self._pending: TurnTiming | None = None  # the caller spoke; no answer started yet
        self._active: TurnTiming | None = None  # being answered
        self._turns = 0
        self._failed = False

    async def on_pipeline_started(self) -> None:
        """Count the call."""
        self._metrics.call_started(self._session.channel, self._session.bot.name)

    async def on_push_frame(self, data: FramePushed) -> None:
        """Note the moment a frame stands for (downstream frames only)."""
        if data.direction != FrameDirection.DOWNSTREAM or self._failed:
            return
        try:
            self._observe(data.frame, data.source, self._wall(data.timestamp))
        except Exception:  # the observer's task boundary: stop observing, keep the call
            self._failed = True
            logger.exception(f"session {self._session.session_id}: call observer failed")

    async def cleanup(self) -> None:
        """End the call: finish a turn still open and send the Sentry transaction."""
        await super().cleanup()
        now = self._now()
        if self._active is not None:
            turn = self._active
            turn.ended_at = turn.bot_stopped_at or turn.agent_ended_at or now
            self._finish(turn)
        if self.trace is not None:
            self.trace.finish(now)
            self.trace = None

    # --- frames ---------------------------------------------------------------------------

    def _wall(self, timestamp_ns: int) -> float:
        """Wall-clock time of a pipeline-clock timestamp (the smallest lag seen is the best)."""
        now = self._now()
        if timestamp_ns <= 0:
            return now
        clock = timestamp_ns / 1e9
        if self._offset is None or now - clock < self._offset:
            self._offset = now - clock
        return self._offset + clock

    def _observe(self, frame: Frame, source: object, now: float) -> None:
        if isinstance(frame, TTSAudioRawFrame):
            turn = self._active
            if turn is not None and turn.first_audio_at is None:
                turn.first_audio_at = now
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            turn = self._pending = self._pending or TurnTiming()
            turn.vad_stopped_at = frame.timestamp
            turn.user_stopped_at = frame.timestamp - frame.stop_secs
        elif isinstance(frame, TranscriptionFrame):
            self._pending = self._pending or TurnTiming()
            self._pending.transcript_at = now
        elif isinstance(frame, LLMFullResponseStartFrame | LLMTextFrame):
            if isinstance(source, LangGraphProcessor):
                self._agent_output(frame, now)
        elif isinstance(frame, AgentTurnFrame):
            self._agent_done(frame)
        elif isinstance(frame, BotStartedSpeakingFrame):
            self._bot_started(now)
        elif isinstance(frame, BotStoppedSpeakingFrame):
            self._bot_stopped(now)
        elif isinstance(frame, InterruptionFrame):
            self._interrupted(now)
        elif isinstance(frame, ClientConnectedFrame) and self._connected_at is None:
            self._connected_at = now

    def _agent_output(self, frame: Frame, now: float) -> None:
        if isinstance(frame, LLMFullResponseStartFrame):
            if self._active is not None:  # a new answer supersedes the previous one
                previous = self._active
                previous.ended_at = previous.bot_stopped_at or previous.agent_ended_at or now
                self._finish(previous)
            turn, self._pending = self._pending or TurnTiming(), None
            self._turns += 1
            turn.index = self._turns
            turn.agent_started_at = now
            self._active = turn
        elif self._active is not None and self._active.first_token_at is None:
            self._active.first_token_at = now

    def _agent_done(self, frame: AgentTurnFrame) -> None:
        turn = self._active
        if turn is None:
            return
        turn.agent_done = True
        # The agent's own clock readings are the most precise.
        turn.agent_started_at = frame.started_at or turn.agent_started_at
        turn.first_token_at = frame.first_token_at or turn.first_token_at
        turn.agent_ended_at = frame.ended_at or None
        turn.llm = frame.llm_used
        turn.error = frame.error
        turn.thread_reset = frame.thread_reset
        turn.tool_calls = list(frame.tool_calls)
        if not frame.text:  # nothing will be spoken
            turn.ended_at = turn.agent_ended_at
            self._finish(turn)

    def _bot_started(self, now: float) -> None:
        self._bot_speaking = True
        turn = self._active
        if turn is not None:
            if turn.bot_started_at is None:
                turn.bot_started_at = now
        elif not self._greeted and self._turns == 0 and self._pending is None:
            connected = self._connected_at or self._started_at
            self._metrics.greeting(self._session.channel, now - connected)
            if self.trace is not None:
                self.trace.greeting(connected, now)
        self._greeted = True

    def _bot_stopped(self, now: float) -> None:
        self._bot_speaking = False
        turn = self._active
        if turn is None or turn.bot_started_at is None:
            return
        turn.bot_stopped_at = now
        if turn.agent_done:
            turn.ended_at = now
            self._finish(turn)

    def _interrupted(self, now: float) -> None:
        turn = self._active
        answering = turn is not None and (not turn.agent_done or turn.bot_started_at is None)
        if not self._bot_speaking and not answering:
            if turn is not None:  # spoken already; the caller simply took their turn
                turn.ended_at = turn.bot_stopped_at or turn.agent_ended_at or now
                self._finish(turn)
            return
        self._metrics.interruption(self._session.channel, self._session.bot.name)
        self._bot_speaking = False
        if turn is not None:
            turn.interrupted = True
            turn.ended_at = now
            self._finish(turn)

    def _finish(self, turn: TurnTiming) -> None:
        if self._active is turn:
            self._active = None
        session = self._session
        self._metrics.voice_turn(session.channel, session.bot.name, session.llm, turn)
        if self.trace is not None:
            self.trace.turn(turn)
