"""The :class:`Turn` of a text turn (``/agent/process``, ``convonet chat``).

A text turn has no speech: its moments are the agent's own (start, first token, end), and
it ends when the agent does. Its stages are therefore ``llm_first_token_ms``, ``agent_ms``,
``total_ms`` and ``tools_ms``, with the same meaning as in a voice turn.
"""

from convonet.agents.turn import AgentOutcome
from convonet.session import CallSession
from convonet.turns.record import ToolCall, Turn, TurnTimes


def text_turn(session: CallSession, text: str, outcome: AgentOutcome, index: int) -> Turn:
    """The record of one text turn.

    Args:
        session: The conversation.
        text: What the caller wrote.
        outcome: What the agent answered and did.
        index: The turn's number in the conversation (1 for the first).
    """
    return Turn(
        session_id=session.session_id,
        kind="text",
        index=index,
        channel=session.channel,
        user_id=session.user_id,
        bot=session.bot.name,
        llm=session.llm,
        llm_used=outcome.llm_used,
        user_text=text,
        bot_text=outcome.text,
        times=TurnTimes(
            agent_start_at=outcome.started_at,
            first_token_at=outcome.first_token_at,
            agent_end_at=outcome.ended_at,
            turn_end_at=outcome.ended_at,
        ),
        error=outcome.error,
        timed_out=outcome.timed_out,
        transfer=outcome.transfer,
        ends_call=outcome.ends_call,
        tool_calls=[ToolCall.of(call) for call in outcome.tool_calls],
    ).with_stages()
