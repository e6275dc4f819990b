"""Frames of our own: what the agent did in a turn, for observers and transports."""

from dataclasses import dataclass, field
from typing import Any

from pipecat.frames.frames import SystemFrame

from convonet.tools.records import ToolCallRecord


@dataclass
class AgentTurnFrame(SystemFrame):
    """Pushed downstream after every completed agent turn (not after interrupted ones).

    Parameters:
        session_id: The call.
        thread_id: The conversation thread the turn ran on (reset after timeouts).
        text: What the agent said.
        tool_calls: The turn's tool calls, with timings and outcomes.
        llm_used: The provider that answered (after any fallback), if a model ran.
        started_at: ``time.time()`` when the turn began.
        first_token_at: ``time.time()`` of the first spoken token, if any.
        ended_at: ``time.time()`` when the turn ended.
        error: What went wrong, if the turn failed or timed out.
        thread_reset: Whether the thread id was reset after this turn.
        transfer: ``{"department", "extension", "status"}`` when the caller asked for a person.
        ends_call: Whether the agent ended the call.
    """

    session_id: str = ""
    thread_id: str = ""
    text: str = ""
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    llm_used: str | None = None
    started_at: float = 0.0
    first_token_at: float | None = None
    ended_at: float = 0.0
    error: str | None = None
    thread_reset: bool = False
    transfer: dict[str, Any] | None = None
    ends_call: bool = False
