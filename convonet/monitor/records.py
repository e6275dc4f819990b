"""The record of one turn as the Agent Monitor stores, serves and pushes it.

A record holds wall-clock times (``time.time()`` seconds) of the moments of a turn and the
stage durations derived from them, in milliseconds. Three kinds exist: ``voice`` (a caller's
spoken turn), ``text`` (``/agent/process``: no speech stages) and ``greeting`` (a call's
first bot speech, timed from the client connecting).
"""

import os
import socket
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from convonet.tools.records import ToolCallRecord

TurnKind = Literal["voice", "text", "greeting"]
EndReason = Literal["completed", "interrupted", "hangup", "silent"]

INSTANCE_ID = f"{socket.gethostname()}:{os.getpid()}"

# Stage name -> (from moment, to moment), in the order a voice turn passes through them.
STAGE_SPANS: dict[str, tuple[str, str]] = {
    "stt_ms": ("user_stopped_at", "stt_final_at"),
    "turn_detect_ms": ("stt_final_at", "agent_start_at"),
    "llm_first_token_ms": ("agent_start_at", "first_token_at"),
    "first_sentence_ms": ("first_token_at", "first_sentence_at"),
    "tts_ms": ("first_sentence_at", "first_audio_at"),
    "playout_ms": ("first_audio_at", "bot_started_at"),
    "voice_to_voice_ms": ("user_stopped_at", "bot_started_at"),
    "agent_ms": ("agent_start_at", "agent_end_at"),
    "speaking_ms": ("bot_started_at", "turn_end_at"),
    "total_ms": ("user_stopped_at", "turn_end_at"),
    "greeting_ms": ("connected_at", "bot_started_at"),
}
# Stages that are not a span between two moments.
EXTRA_STAGES = ("tools_ms",)
STAGES = (*STAGE_SPANS, *EXTRA_STAGES)
# The stages that follow one another from the end of speech to the bot's first audio.
WATERFALL_STAGES = (
    "stt_ms",
    "turn_detect_ms",
    "llm_first_token_ms",
    "first_sentence_ms",
    "tts_ms",
    "playout_ms",
)


class TurnTimes(BaseModel):
    """Moments of a turn, as ``time.time()`` seconds; ``None`` when it did not happen.

    Attributes:
        connected_at: The client connected (greetings only).
        user_stopped_at: The caller stopped speaking (VAD stop time minus ``stop_secs``).
        stt_final_at: The final transcription arrived.
        agent_start_at: The user's turn reached the agent.
        first_token_at: The agent's first spoken token.
        first_sentence_at: The first sentence reached text-to-speech.
        first_audio_at: Text-to-speech produced its first audio.
        bot_started_at: The bot started speaking to the caller.
        agent_end_at: The agent finished the turn.
        turn_end_at: The bot stopped speaking (or was interrupted, or the caller hung up).
    """

    model_config = ConfigDict(extra="ignore")

    connected_at: float | None = None
    user_stopped_at: float | None = None
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


class TurnRecord(BaseModel):
    """Everything the Agent Monitor knows about one turn.

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
        thread_id: The agent's conversation thread.
        instance: The server instance that measured the turn (``host:pid/id``).
        user_text: What the caller said (final transcription or request text).
        bot_text: What the agent answered.
        times: The turn's moments.
        stages: Stage durations in ms (see ``STAGE_SPANS``), for the moments that exist.
        interrupted: Whether the caller spoke over the bot's answer.
        end_reason: How the turn ended.
        error: What went wrong in the agent, if anything.
        thread_reset: Whether the agent's thread was reset after this turn.
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
    thread_id: str | None = None
    instance: str = INSTANCE_ID
    user_text: str = ""
    bot_text: str = ""
    times: TurnTimes = Field(default_factory=TurnTimes)
    stages: dict[str, float] = Field(default_factory=dict)
    interrupted: bool = False
    end_reason: EndReason = "completed"
    error: str | None = None
    thread_reset: bool = False
    transfer: dict[str, Any] | None = None
    ends_call: bool = False
    tool_calls: list[ToolCall] = Field(default_factory=list)
    recorded_at: float = Field(default_factory=time.time)

    @property
    def at(self) -> float:
        """When the turn began (its first moment), else when it was recorded."""
        moments = [value for value in self.times.model_dump().values() if value is not None]
        return min(moments) if moments else self.recorded_at

    def with_stages(self) -> "TurnRecord":
        """This record with ``stages`` derived from ``times`` and the tool calls."""
        self.stages = derive_stages(self.times, self.tool_calls)
        return self


def derive_stages(times: TurnTimes, tool_calls: list[ToolCall] | None = None) -> dict[str, float]:
    """Stage durations in ms for every stage whose two moments exist.

    A stage whose end precedes its start (possible with streaming STT, whose final text can
    arrive before the VAD stop is confirmed) counts as 0 ms.

    Args:
        times: The turn's moments.
        tool_calls: The turn's tool calls (their elapsed times add up to ``tools_ms``).

    Returns:
        ``{stage: ms}``, rounded to 0.1 ms.
    """
    moments = times.model_dump()
    stages: dict[str, float] = {}
    for stage, (start, end) in STAGE_SPANS.items():
        if moments[start] is not None and moments[end] is not None:
            stages[stage] = round(max(0.0, (moments[end] - moments[start]) * 1000), 1)
    if stages.get("tts_ms") is None and times.first_token_at and times.first_audio_at:
        # No sentence moment (a TTS service that takes raw text): time TTS from the first token.
        stages["tts_ms"] = round(max(0.0, (times.first_audio_at - times.first_token_at) * 1000), 1)
    if tool_calls:
        stages["tools_ms"] = round(sum(call.elapsed_ms for call in tool_calls), 1)
    return stages
