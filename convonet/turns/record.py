"""The record of one turn: what happened, when, and how long each stage took.

One :class:`Turn` describes a voice turn, a call's greeting or a text turn alike; the
Agent Monitor stores and serves it, Prometheus and Sentry report it. Times are
``time.time()`` seconds; stage durations (``stages``) are ms, per
:data:`convonet.turns.stages.STAGE_TABLE`.

This module is a leaf: it imports pydantic and the tool-call record only, so storage can
hold turns without knowing the monitor, sessions or pipecat.
"""

import os
import socket
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from convonet.tools.records import ToolCallRecord
from convonet.turns.stages import derive_stages

TurnKind = Literal["voice", "text", "greeting"]
EndReason = Literal["completed", "interrupted", "hangup", "silent"]
TurnOutcome = Literal["ok", "error", "timeout", "interrupted", "abandoned"]

INSTANCE_ID = f"{socket.gethostname()}:{os.getpid()}"


class TurnTimes(BaseModel):
    """Moments of a turn, as ``time.time()`` seconds; ``None`` when it did not happen.

    Attributes:
        connected_at: The client connected (greetings only).
        user_stopped_at: The caller really stopped speaking (VAD stop time minus ``stop_secs``).
        vad_stopped_at: The VAD declared the end of speech.
        stt_final_at: The final transcription arrived.
        agent_start_at: The user's turn reached the agent.
        first_token_at: The agent's first spoken token (or its apology).
        first_sentence_at: The first sentence reached text-to-speech.
        first_audio_at: Text-to-speech produced its first audio.
        bot_started_at: The bot started speaking to the caller.
        agent_end_at: The agent finished the turn.
        turn_end_at: The turn ended: the bot stopped speaking, was interrupted, the caller
            hung up, or (text) the agent finished.
    """

    model_config = ConfigDict(extra="ignore")

    connected_at: float | None = None
    user_stopped_at: float | None = None
    vad_stopped_at: float | None = None
    stt_final_at: float | None = None
    agent_start_at: float | None = None
    first_token_at: float | None = None
    first_sentence_at: float | None = None
    first_audio_at: float | None = None
    bot_started_at: float | None = None
    agent_end_at: float | None = None
    turn_end_at: float | None = None


class ToolCall(BaseModel):
    """One tool call of a turn (a :class:`ToolCallRecord` as stored)."""

    model_config = ConfigDict(extra="ignore")

    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: Any = None
    summary: str = ""
    elapsed_ms: float = 0.0
    outcome: str = "ok"

    @classmethod
    def of(cls, record: ToolCallRecord) -> "ToolCall":
        """The stored form of ``record``."""
        return cls.model_validate(record.as_dict())


class Turn(BaseModel):
    """Everything known about one turn.

    Attributes:
        turn_id: Unique id of the record.
        session_id: The call (or text conversation).
        kind: ``voice``, ``text`` or ``greeting``.
        index: The turn's number within its session (0 is the greeting of a voice call).
        channel: The transport (``websocket``, ``webrtc``, ``twilio``, ``cli``, ``text``).
        user_id: The signed-in caller, if any.
        bot: The bot that answered.
        llm: The session's configured LLM.
        llm_used: The provider that actually answered (after any fallback).
        stt: Speech-to-text provider (voice only).
        tts: Text-to-speech provider (voice only).
        instance: The server instance that measured the turn (``host:pid/id``).
        user_text: What the caller said (final transcription or request text).
        bot_text: What the agent answered.
        times: The turn's moments.
        stages: Stage durations in ms (see the stage table), for the moments that exist.
        interrupted: Whether the caller spoke over the bot's answer.
        end_reason: How the turn ended.
        error: What went wrong in the agent, if anything.
        timed_out: Whether the agent turn (or one of its tools) ran out of time.
        transfer: The transfer the caller asked for, if any.
        ends_call: Whether the agent ended the call.
        tool_calls: The turn's tool calls.
        recorded_at: When the record was made.
    """

    model_config = ConfigDict(extra="ignore")

    turn_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    session_id: str
    kind: TurnKind
    index: int = 0
    channel: str = ""
    user_id: str | None = None
    bot: str = ""
    llm: str | None = None
    llm_used: str | None = None
    stt: str | None = None
    tts: str | None = None
    instance: str = INSTANCE_ID
    user_text: str = ""
    bot_text: str = ""
    times: TurnTimes = Field(default_factory=TurnTimes)
    stages: dict[str, float] = Field(default_factory=dict)
    interrupted: bool = False
    end_reason: EndReason = "completed"
    error: str | None = None
    timed_out: bool = False
    transfer: dict[str, Any] | None = None
    ends_call: bool = False
    tool_calls: list[ToolCall] = Field(default_factory=list)
    recorded_at: float = Field(default_factory=time.time)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def outcome(self) -> TurnOutcome:
        """How the turn went: ``ok``, ``error``, ``timeout``, ``interrupted`` or ``abandoned``.

        ``abandoned``: the call ended before the agent finished.
        """
        if self.interrupted:
            return "interrupted"
        if self.kind != "greeting" and self.times.agent_end_at is None:
            return "abandoned"
        if self.error is None:
            return "ok"
        return "timeout" if self.timed_out else "error"

    @property
    def at(self) -> float:
        """When the turn began (its first moment), else when it was recorded."""
        moments = [value for value in self.times.model_dump().values() if value is not None]
        return min(moments) if moments else self.recorded_at

    def with_stages(self) -> "Turn":
        """This record with ``stages`` derived from ``times`` and the tool calls."""
        tools_ms = sum(call.elapsed_ms for call in self.tool_calls) if self.tool_calls else None
        self.stages = derive_stages(self.times.model_dump(), tools_ms)
        return self
