"""VoiceTurnTracker: builds the :class:`Turn` records of a call from its frames.

One observer per call (added by ``build_pipeline``) replaces per-feature frame watchers:
it notes each turn's moments and hands every finished turn to the call's listeners (the
Agent Monitor's recorder, Prometheus, Sentry). A voice turn passes these moments:

user stopped speaking (VAD stop time minus ``stop_secs``, the same rule as pipecat's
``UserBotLatencyObserver``) → VAD stop → final transcription → the user's context reaches
the agent (for an answer prepared during the confirm window: the turn's confirmation,
when the prepared answer is released) → first agent token → first sentence handed to TTS →
first TTS audio → bot started speaking → bot stopped speaking (or the caller interrupted,
or hung up).

Pipecat's ``TurnTrackingObserver`` does not fit: it ends a turn on a timer after the bot
stops speaking and carries no stage moments; the turn here ends as soon as the agent, TTS
and the bot's speech are all done. The observer sees each frame once
(``observe_every_push=False``), only downstream, and takes a moment's time from the push
itself (the pipeline clock's timestamp), not from when its queue got round to the frame.
Nothing here awaits: listeners are synchronous and only queue or update memory.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pipecat.frames.frames import (
    AggregatedTextFrame,
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    CancelFrame,
    ClientConnectedFrame,
    EagerEndOfTurnCancelFrame,
    EndFrame,
    Frame,
    InterruptionFrame,
    LLMContextFrame,
    LLMTextFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSStoppedFrame,
    TTSTextFrame,
    UserStoppedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.processors.aggregators.llm_response_universal import LLMUserAggregator
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService

from convonet.agents.turn import AgentOutcome
from convonet.processors.frames import AgentTurnFrame
from convonet.processors.langgraph_processor import LangGraphProcessor
from convonet.session import CallSession
from convonet.turns.build import build_turn
from convonet.turns.listeners import TurnListener
from convonet.turns.record import EndReason, Turn, TurnKind, TurnTimes


@dataclass
class _Open:
    """A turn being measured."""

    kind: TurnKind
    index: int
    times: TurnTimes = field(default_factory=TurnTimes)
    user_text: list[str] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)
    agent: AgentOutcome | None = None
    bot_speaking: bool = False
    bot_stopped_at: float | None = None
    # TTS finished the turn's audio (TTSStoppedFrame after the agent's last text).
    tts_done: bool = False


class VoiceTurnTracker(BaseObserver):
    """Builds each turn of one call and tells ``listener``; see the module docstring.

    Args:
        session: The call (its ids and providers go into every turn).
        listener: Told when the call starts, of every finished turn, and when it ends.
        now: Wall clock (tests pass their own).
    """

    def __init__(
        self,
        session: CallSession,
        listener: TurnListener,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(observe_every_push=False)
        self._session = session
        self._listener = listener
        self._now = now
        self._pending: _Open | None = None  # the caller's turn before it reaches the agent
        self._active: _Open | None = None  # a turn the bot is answering (or the greeting)
        self._turns = 0
        self._greeted = False
        self._ended = False
        # The agent is preparing an answer for a turn that is not confirmed yet.
        self._speculating = False

    def wants_audio(self, data: FramePushed) -> bool:
        """Whether an audio push matters here: only the TTS's own audio (its first of a turn).

        The lean worker observer (:mod:`convonet.pipeline_worker`) leaves out the rest: the
        caller's audio and the transport's pushes of the bot's.
        """
        return isinstance(data.frame, TTSAudioRawFrame) and isinstance(data.source, TTSService)

    async def on_pipeline_started(self) -> None:
        """Tell the listeners the call started."""
        self._listener.call_started(self._session.channel, self._session.bot.name)

    async def on_push_frame(self, data: FramePushed) -> None:
        """Note the moment ``data`` represents, if any (never awaits)."""
        if data.direction != FrameDirection.DOWNSTREAM or self._ended:
            return
        frame, source = data.frame, data.source
        at = self._pushed_at(data)
        if isinstance(frame, VADUserStoppedSpeakingFrame) or (
            isinstance(frame, TranscriptionFrame) and isinstance(source, STTService)
        ):
            self._on_user(frame, at)
        elif isinstance(frame, LLMContextFrame):
            # The user aggregator sends the turn to the agent (only that first push is
            # observed; CallerAudioEnd may sit between the two). A speculative one (the
            # turn not confirmed yet) counts from the confirmation, if it comes.
            if isinstance(source, LLMUserAggregator):
                self._speculating = frame.speculation
                if not frame.speculation:
                    self._on_agent_start(at)
        elif isinstance(frame, UserStoppedSpeakingFrame) and self._speculating:
            self._speculating = False  # it confirms the prepared answer
            self._on_agent_start(at)
        elif isinstance(frame, EagerEndOfTurnCancelFrame):
            self._speculating = False
        elif isinstance(source, LangGraphProcessor) and isinstance(
            frame, LLMTextFrame | AgentTurnFrame
        ):
            self._on_agent(frame, at)
        elif isinstance(source, TTSService) and isinstance(
            frame, AggregatedTextFrame | TTSAudioRawFrame | TTSStoppedFrame
        ):
            self._on_tts(frame, at)
        elif isinstance(frame, BotStartedSpeakingFrame | BotStoppedSpeakingFrame):
            self._on_bot(frame, at)
        elif isinstance(frame, InterruptionFrame):
            self._speculating = False
            if self._active is not None:
                self._on_interruption(self._active, at)
        elif isinstance(frame, ClientConnectedFrame) and not self._greeted:
            self._greeted = True
            self._active = _Open("greeting", 0, TurnTimes(connected_at=at))
        elif isinstance(frame, EndFrame | CancelFrame):
            self._hang_up(at)

    async def cleanup(self) -> None:
        """End the call: record a turn still open (the caller hung up)."""
        await super().cleanup()
        self._hang_up(self._now())

    def _pushed_at(self, data: FramePushed) -> float:
        """Wall-clock time of the push (the observer runs a little after it)."""
        now = self._now()
        if data.timestamp <= 0:
            return now
        source: FrameProcessor = data.source
        lag_ns = source.get_clock().get_time() - data.timestamp
        return now - max(0, lag_ns) / 1e9

    def _on_user(self, frame: VADUserStoppedSpeakingFrame | TranscriptionFrame, at: float) -> None:
        turn = self._pending
        if turn is None:
            self._turns += 1
            turn = self._pending = _Open("voice", self._turns)
        if isinstance(frame, VADUserStoppedSpeakingFrame):
            # The VAD needed stop_secs of silence to decide: speech really ended that long ago.
            turn.times.vad_stopped_at = frame.timestamp
            turn.times.user_stopped_at = frame.timestamp - frame.stop_secs
        else:
            turn.times.stt_final_at = at
            turn.user_text.append(frame.text.strip())

    def _on_agent_start(self, at: float) -> None:
        if self._active is not None:
            self._on_interruption(self._active, at)
        turn = self._pending
        if turn is None:  # the context arrived without speech (a text injection)
            self._turns += 1
            turn = _Open("voice", self._turns)
        self._pending = None
        turn.times.agent_start_at = at
        self._active = turn

    def _on_agent(self, frame: LLMTextFrame | AgentTurnFrame, at: float) -> None:
        turn = self._active
        if turn is None or turn.kind != "voice":
            return
        if isinstance(frame, LLMTextFrame):
            turn.times.first_token_at = turn.times.first_token_at or at
            turn.tts_done = False
            return
        turn.agent = frame.outcome
        turn.times.agent_end_at = at
        if turn.times.first_token_at is None and turn.times.first_sentence_at is None:
            self._finish(turn, at, "silent")  # nothing to say: the turn ends with the agent
        else:
            self._end_if_spoken(turn)

    def _on_tts(
        self, frame: AggregatedTextFrame | TTSAudioRawFrame | TTSStoppedFrame, at: float
    ) -> None:
        turn = self._active
        if turn is None:
            return
        if isinstance(frame, TTSAudioRawFrame):
            turn.times.first_audio_at = turn.times.first_audio_at or at
        elif isinstance(frame, TTSStoppedFrame):
            turn.tts_done = True
            self._end_if_spoken(turn)
        elif not isinstance(frame, TTSTextFrame):  # a sentence handed to TTS
            turn.times.first_sentence_at = turn.times.first_sentence_at or at
            if not turn.spoken or turn.spoken[-1] != frame.text:
                turn.spoken.append(frame.text)

    def _on_bot(self, frame: Frame, at: float) -> None:
        turn = self._active
        if turn is None:
            return
        if isinstance(frame, BotStartedSpeakingFrame):
            turn.times.bot_started_at = turn.times.bot_started_at or at
            turn.bot_speaking = True
            return
        turn.bot_speaking = False
        turn.bot_stopped_at = at
        if turn.kind == "greeting":
            self._finish(turn, at, "completed")
        else:
            self._end_if_spoken(turn)

    def _on_interruption(self, turn: _Open, at: float) -> None:
        """The caller spoke: a barge-in, unless the answer was already fully spoken."""
        heard = turn.agent is not None and not turn.bot_speaking and turn.bot_stopped_at
        if heard and turn.bot_stopped_at is not None:
            self._finish(turn, turn.bot_stopped_at, "completed")  # they simply took their turn
        else:
            self._finish(turn, at, "interrupted")

    def _end_if_spoken(self, turn: _Open) -> None:
        """End a voice turn once the agent, TTS and the bot's speech are all done.

        They finish in any order (a cloud TTS may report its end after the audio played,
        tools may run after the bot has spoken), so each of them checks; the turn ends when
        the bot last stopped speaking.
        """
        spoken = turn.times.bot_started_at is not None and not turn.bot_speaking
        if turn.agent is not None and turn.tts_done and spoken and turn.bot_stopped_at:
            self._finish(turn, turn.bot_stopped_at, "completed")

    def _hang_up(self, at: float) -> None:
        if self._ended:
            return
        self._pending = None  # the caller spoke but hung up before the agent heard it
        if self._active is not None:
            self._finish(self._active, at, "hangup")
        self._ended = True
        self._listener.call_ended(at)

    def _finish(self, turn: _Open, at: float, reason: EndReason) -> None:
        if self._active is turn:
            self._active = None
        if turn.kind == "greeting" and turn.times.bot_started_at is None:
            return  # the caller spoke first: there is no greeting latency to report
        turn.times.turn_end_at = at
        self._listener.turn_ended(self._to_turn(turn, reason))

    def _to_turn(self, turn: _Open, reason: EndReason) -> Turn:
        session = self._session
        return build_turn(
            session,
            turn.kind,
            turn.index,
            turn.times,
            turn.agent,
            stt=session.stt,
            tts=session.tts,
            user_text=" ".join(text for text in turn.user_text if text),
            bot_text=" ".join(turn.spoken),  # what TTS spoke, unless the agent finished
            interrupted=reason == "interrupted",
            end_reason=reason,
        )
