"""Building a :class:`Turn` from a session and an agent outcome (voice and text alike).

A text turn (``/agent/process``, ``convonet chat``) has no speech: its moments are the
agent's own (start, first token, end), and it ends when the agent does. Its stages are
therefore ``llm_first_token_ms``, ``agent_ms``, ``total_ms`` and ``tools_ms``, with the same
meaning as in a voice turn.
"""

from typing import Any

from convonet.agents.turn import AgentOutcome
from convonet.session import CallSession
from convonet.turns.record import ToolCall, Turn, TurnKind, TurnTimes


def build_turn(
    session: CallSession,
    kind: TurnKind,
    index: int,
    times: TurnTimes,
    outcome: AgentOutcome | None,
    **fields: Any,
) -> Turn:
    """A turn of ``session`` with the agent's ``outcome`` (if the agent finished) and stages.

    Args:
        session: The call or conversation.
        kind: ``voice``, ``greeting`` or ``text``.
        index: The turn's number in the session.
        times: Its moments.
        outcome: What the agent said and did; ``None`` when it did not finish (or a greeting).
        **fields: Other :class:`Turn` fields (``user_text``, ``end_reason``, ...).
    """
    agent: dict[str, Any] = {}
    if outcome is not None:
        agent = {
            "llm_used": outcome.llm_used,
            "bot_text": outcome.text,
            "error": outcome.error,
            "timed_out": outcome.timed_out,
            "transfer": outcome.transfer,
            "ends_call": outcome.ends_call,
            "tool_calls": [ToolCall.of(call) for call in outcome.tool_calls],
        }
    return Turn(
        session_id=session.session_id,
        kind=kind,
        index=index,
        channel=session.channel,
        user_id=session.user_id,
        bot=session.bot.name,
        llm=session.llm,
        times=times,
        **{**fields, **agent},
    ).with_stages()


def text_turn(session: CallSession, text: str, outcome: AgentOutcome, index: int) -> Turn:
    """The record of one text turn.

    Args:
        session: The conversation.
        text: What the caller wrote.
        outcome: What the agent answered and did.
        index: The turn's number in the conversation (1 for the first).
    """
    times = TurnTimes(
        agent_start_at=outcome.started_at,
        first_token_at=outcome.first_token_at,
        agent_end_at=outcome.ended_at,
        turn_end_at=outcome.ended_at,
    )
    return build_turn(session, "text", index, times, outcome, user_text=text)
