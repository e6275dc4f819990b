"""What one voice turn looked like: its moments, its stages, and how it ended.

:class:`TurnTiming` holds the wall-clock moments of one user turn and the bot's answer
(seconds since the epoch, like ``time.time()``); :meth:`TurnTiming.stages` turns them into
the stage durations that metrics and traces report. The observer fills it in from frames.
"""

from dataclasses import dataclass, field
from typing import Literal

from convonet.tools.records import ToolCallRecord

TurnOutcome = Literal["ok", "error", "timeout", "interrupted", "abandoned"]

# Stage name → (start moment, end moment), both attributes of TurnTiming.
STAGES: dict[str, tuple[str, str]] = {
    "voice_to_voice": ("user_stopped_at", "bot_started_at"),
    "stt": ("vad_stopped_at", "transcript_at"),
    "agent": ("agent_started_at", "first_token_at"),
    "agent_total": ("agent_started_at", "agent_ended_at"),
    "tts_first_audio": ("first_token_at", "first_audio_at"),
    "turn": ("user_stopped_at", "ended_at"),
}
"""The stages reported per turn.

* ``voice_to_voice``: the caller stops speaking (VAD time minus ``stop_secs``, i.e. the real
  end of speech) → the bot starts speaking.
* ``stt``: the VAD declares the end of speech → the last transcript before the agent runs.
* ``agent``: the agent starts → its first spoken token (what the caller waits for).
* ``agent_total``: the agent starts → the agent turn ends (model and tool calls).
* ``tts_first_audio``: the first spoken token → the first synthesized audio (includes
  waiting for the first sentence to be complete).
* ``turn``: the caller stops speaking → the bot stops speaking (or is interrupted).
"""


def agent_outcome(error: str | None, thread_reset: bool) -> TurnOutcome:
    """How an agent turn that ran to its end went.

    A failed turn whose thread was reset timed out (the agent resets the thread only after
    a timeout); a failure without a reset is an error.
    """
    if error is None:
        return "ok"
    return "timeout" if thread_reset else "error"


@dataclass
class TurnTiming:
    """The moments of one turn; ``None`` for moments that did not happen.

    Attributes:
        index: 1 for the call's first turn.
        user_stopped_at: The real end of the caller's speech.
        vad_stopped_at: When the VAD declared the end of speech.
        transcript_at: The last final transcript before the agent started.
        agent_started_at: The agent started answering.
        first_token_at: The agent's first spoken token.
        agent_ended_at: The agent turn ended.
        first_audio_at: The first synthesized audio of the answer.
        bot_started_at: The bot started speaking the answer.
        bot_stopped_at: The bot last stopped speaking during the answer.
        ended_at: The turn ended (bot done speaking, interrupted, or superseded).
        interrupted: The caller spoke over the answer.
        llm: The LLM that answered (after any fallback).
        error: What went wrong in the agent, if anything.
        thread_reset: The agent's thread was reset after this turn.
        tool_calls: The agent's tool calls.
        agent_done: An ``AgentTurnFrame`` arrived for this turn.
    """

    index: int = 0
    user_stopped_at: float | None = None
    vad_stopped_at: float | None = None
    transcript_at: float | None = None
    agent_started_at: float | None = None
    first_token_at: float | None = None
    agent_ended_at: float | None = None
    first_audio_at: float | None = None
    bot_started_at: float | None = None
    bot_stopped_at: float | None = None
    ended_at: float | None = None
    interrupted: bool = False
    llm: str | None = None
    error: str | None = None
    thread_reset: bool = False
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    agent_done: bool = False

    @property
    def outcome(self) -> TurnOutcome:
        """How the turn ended (see :func:`agent_outcome` for turns the agent finished)."""
        if self.interrupted:
            return "interrupted"
        if not self.agent_done:
            return "abandoned"
        return agent_outcome(self.error, self.thread_reset)

    @property
    def started_at(self) -> float | None:
        """The earliest moment of the turn."""
        moments = (self.user_stopped_at, self.vad_stopped_at, self.agent_started_at)
        return min((m for m in moments if m is not None), default=None)

    def stages(self) -> dict[str, float]:
        """Durations in seconds of the stages whose two ends happened, in order.

        A stage whose end precedes its start (clock skew between sources) is left out.
        """
        result: dict[str, float] = {}
        for name, (start_name, end_name) in STAGES.items():
            start, end = getattr(self, start_name), getattr(self, end_name)
            if start is not None and end is not None and end >= start:
                result[name] = end - start
        return result

    def span(self, stage: str) -> tuple[float, float] | None:
        """The ``(start, end)`` of ``stage`` if both ends happened in order."""
        start_name, end_name = STAGES[stage]
        start, end = getattr(self, start_name), getattr(self, end_name)
        if start is None or end is None or end < start:
            return None
        return start, end
