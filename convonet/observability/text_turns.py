"""Text turns (``POST /agent/process``) report to the same metrics and Sentry as voice turns."""

from typing import TYPE_CHECKING

import sentry_sdk

from convonet.observability.sentry import report_agent_problems, sentry_active
from convonet.observability.turns import agent_outcome
from convonet.runtime import Runtime
from convonet.session import CallSession

if TYPE_CHECKING:
    from convonet.chat import Reply


def observe_text_turn(runtime: Runtime, session: CallSession, reply: "Reply") -> None:
    """Record a text turn: metrics, and Sentry events for a timeout, failure or thread reset.

    Args:
        runtime: The app's runtime.
        session: The conversation.
        reply: What the agent answered and did.
    """
    llm = reply.llm_used or session.llm
    runtime.metrics.agent_turn(
        session.channel,
        session.bot.name,
        llm,
        agent_outcome(reply.error, reply.thread_reset),
        reply.tool_calls,
        thread_reset=reply.thread_reset,
    )
    if not sentry_active(runtime.settings) or (reply.error is None and not reply.thread_reset):
        return
    with sentry_sdk.new_scope() as scope:
        scope.set_user({"id": session.user_id} if session.user_id else None)
        scope.set_context(
            "session",
            {"session_id": session.session_id, "channel": session.channel, "bot": session.bot.name},
        )
        report_agent_problems(
            scope,
            error=reply.error,
            thread_reset=reply.thread_reset,
            tool_calls=reply.tool_calls,
            llm=llm,
        )
