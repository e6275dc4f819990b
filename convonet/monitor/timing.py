"""VoiceTimingObserver: measures every turn of a call and hands the record to a recorder.

A voice turn passes these moments (all ``time.time()`` seconds):

user stopped speaking (VAD stop time minus ``stop_secs``) → final transcription → the
user's context reaches the agent → first agent token → first sentence handed to TTS →
first TTS audio → bot started speaking → bot stopped speaking (or the caller interrupted).

The observer sees each frame once (``observe_every_push=False``), only downstream, and takes
a moment's time from the push itself (the pipeline clock's timestamp), not from when the
observer's queue got round to it. Tool calls, the provider that answered and thread resets
come from the agent's :class:`AgentTurnFrame`. ``on_push_frame`` never awaits: records go to
a synchronous ``record`` callback (the process's :class:`TurnRecorder` queue).
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
    EndFrame,
    Frame,
    InterruptionFrame,
    LLMContextFrame,
    LLMTextFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSStoppedFrame,
    TTSTextFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService

from convonet.monitor.records import EndReason, ToolCall, TurnKind, TurnRecord, TurnTimes
from convonet.processors.frames import AgentTurnFrame
from convonet.processors.langgraph_processor import LangGraphProcessor
from convonet.session import CallSession


@dataclass
class _Turn:
    """A turn being measured."""

    kind: TurnKind
    index: int
    times: TurnTimes = field(default_factory=TurnTimes)
    user_text: list[str] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)
    agent: AgentTurnFrame | None = None
    bot_speaking: bool = False
    bot_stopped_at: float | None = None
    # TTS finished the turn's audio (TTSStoppedFrame after the agent's last text).
    tts_done: bool = False


class VoiceTimingObserver(BaseObserver):
    """Times each turn of one call; see the module docstring for the moments.

    Args:
        session: The call (its ids and providers go into every record).
        record: Called with each finished :class:`TurnRecord`; must not block.
        now: Wall clock (tests pass their own).
    """

    def __init__(
        self,
        session: CallSession,
        record: Callable[[TurnRecord], None],
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(observe_every_push=False)
        self._session = session
        self._record = record
        self._now = now
        self._pending: _Turn | None = None  # the caller's turn before it reaches the agent
        self._active: _Turn | None = None  # a turn the bot is answering (or the greeting)
        self._turns = 0
        self._greeted = False

    async def on_push_frame(self, data: FramePushed) -> None:
        """Note the moment ``data`` represents, if any (never awaits)."""
        if data.direction != FrameDirection.DOWNSTREAM:
            return
        frame, source = data.frame, data.source
        at = self._pushed_at(data)
        if isinstance(frame, VADUserStoppedSpeakingFrame) or (
            isinstance(frame, TranscriptionFrame) and isinstance(source, STTService)
        ):
            self._on_user(frame, at)
        elif isinstance(frame, LLMContextFrame):
            if isinstance(data.destination, LangGraphProcessor):
                self._on_agent_start(at)
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
        elif isinstance(frame, InterruptionFrame) and self._active is not None:
            self._finish(self._active, at, "interrupted")
        elif isinstance(frame, ClientConnectedFrame) and not self._greeted:
            self._greeted = True
            self._active = _Turn("greeting", 0, TurnTimes(connected_at=at))
        elif isinstance(frame, EndFrame | CancelFrame):
            self._hang_up(at)

    async def cleanup(self) -> None:
        """Record a turn still open when the pipeline ends (the caller hung up)."""
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
            turn = self._pending = _Turn("voice", self._turns)
        if isinstance(frame, VADUserStoppedSpeakingFrame):
            # The VAD needed stop_secs of silence to decide: speech really ended that long ago.
            turn.times.user_stopped_at = frame.timestamp - frame.stop_secs
        else:
            turn.times.stt_final_at = at
            turn.user_text.append(frame.text.strip())

    def _on_agent_start(self, at: float) -> None:
        if self._active is not None:
            self._finish(self._active, at, "interrupted")
        turn = self._pending
        if turn is None:  # the context arrived without speech (a text injection)
            self._turns += 1
            turn = _Turn("voice", self._turns)
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
        turn.agent = frame
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

    def _end_if_spoken(self, turn: _Turn) -> None:
        """End a voice turn once the agent, TTS and the bot's speech are all done.

        They finish in any order (a cloud TTS may report its end after the audio played,
        tools may run after the bot has spoken), so each of them checks; the turn ends when
        the bot last stopped speaking.
        """
        spoken = turn.times.bot_started_at is not None and not turn.bot_speaking
        if turn.agent is not None and turn.tts_done and spoken and turn.bot_stopped_at:
            self._finish(turn, turn.bot_stopped_at, "completed")

    def _hang_up(self, at: float) -> None:
        self._pending = None  # the caller spoke but hung up before the agent heard it
        if self._active is not None:
            self._finish(self._active, at, "hangup")

    def _finish(self, turn: _Turn, at: float, reason: EndReason) -> None:
        if self._active is turn:
            self._active = None
        if turn.kind == "greeting" and turn.times.bot_started_at is None:
            return  # the caller spoke first: there is no greeting latency to report
        turn.times.turn_end_at = at
        self._record(self._to_record(turn, reason))

    def _to_record(self, turn: _Turn, reason: EndReason) -> TurnRecord:
        session, agent = self._session, turn.agent
        return TurnRecord(
            session_id=session.session_id,
            kind=turn.kind,
            index=turn.index,
            channel=session.channel,
            user_id=session.user_id,
            bot=session.bot.name,
            llm=session.llm,
            llm_used=agent.llm_used if agent else None,
            stt=session.stt,
            tts=session.tts,
            thread_id=agent.thread_id if agent else None,
            user_text=" ".join(text for text in turn.user_text if text),
            bot_text=agent.text if agent else " ".join(turn.spoken),
            times=turn.times,
            interrupted=reason == "interrupted",
            end_reason=reason,
            error=agent.error if agent else None,
            thread_reset=agent.thread_reset if agent else False,
            transfer=agent.transfer if agent else None,
            ends_call=agent.ends_call if agent else False,
            tool_calls=[ToolCall.of(call) for call in agent.tool_calls] if agent else [],
        ).with_stages()
