"""Text turns through the same agent graph as voice calls (``convonet chat``, the API).

The history holds the spoken conversation only (caller and agent text), exactly like a
voice call's pipecat context, so text and voice sessions behave the same.
"""

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from loguru import logger

from convonet.agents.fallback import answered_by
from convonet.agents.state import initial_state
from convonet.processors.langgraph_processor import (
    DEFAULT_APOLOGY,
    TIMEOUT_APOLOGY,
    ends_call,
    fresh_thread_id,
    transfer_request,
)
from convonet.runtime import Runtime
from convonet.session import CallSession
from convonet.tools.records import ToolCallRecord, tool_log


@dataclass
class Reply:
    """One answer of the agent, with what it did."""

    text: str
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    transfer: dict[str, str] | None = None
    llm_used: str | None = None
    ended: bool = False
    error: str | None = None
    elapsed_ms: float = 0.0
    thread_reset: bool = False


async def _invoke(
    runtime: Runtime, session: CallSession, messages: list[BaseMessage], thread_id: str
) -> list[BaseMessage]:
    graph = runtime.agents.graph(session.llm)
    state = await graph.ainvoke(
        initial_state(messages),
        config=RunnableConfig(configurable={"thread_id": thread_id}),
        context=session.agent_context(),
    )
    return list(state["messages"][len(messages) :])


def _reply_from(new: list[BaseMessage]) -> Reply:
    final = next((m for m in reversed(new) if isinstance(m, AIMessage) and not m.tool_calls), None)
    tools = [m for m in new if isinstance(m, ToolMessage)]
    return Reply(
        text=final.text if final is not None else "",
        transfer=transfer_request(tools),
        llm_used=answered_by(new),
        ended=ends_call(tools),
    )


async def run_text_turn(
    runtime: Runtime,
    session: CallSession,
    history: list[BaseMessage],
    text: str,
    *,
    thread_id: str | None = None,
) -> Reply:
    """Answer ``text`` given the spoken ``history``; never raises for agent failures.

    Args:
        runtime: The process runtime.
        session: Who is talking, with which bot and LLM.
        history: The conversation so far (caller and agent text only).
        text: The caller's new words.
        thread_id: The conversation thread (the session id unless it was reset).

    Returns:
        The reply; on a timeout or failure a short apology with ``error`` set.
    """
    started = time.perf_counter()
    messages = [*history, HumanMessage(text)]
    timeout = runtime.settings.agent_turn_timeout_secs
    timed_out = False
    with tool_log() as log:
        try:
            async with asyncio.timeout(timeout):
                reply = _reply_from(
                    await _invoke(runtime, session, messages, thread_id or session.session_id)
                )
        except TimeoutError:
            timed_out = True
            reply = Reply(text=TIMEOUT_APOLOGY, error=f"agent turn exceeded {timeout:g}s")
        except Exception as error:  # a session boundary: log, apologise, keep the session
            logger.exception(f"session {session.session_id}: text turn failed")
            reply = Reply(text=DEFAULT_APOLOGY, error=f"agent failed: {error}")
    reply.tool_calls = log.records
    reply.thread_reset = timed_out or log.timed_out
    reply.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return reply


class TextConversation:
    """A text conversation kept in memory (the CLI REPL)."""

    def __init__(self, runtime: Runtime, session: CallSession) -> None:
        self._runtime = runtime
        self.session = session
        self.history: list[BaseMessage] = []
        self.thread_id = session.session_id

    async def say(self, text: str) -> Reply:
        """Send the caller's words and return the agent's reply."""
        reply = await run_text_turn(
            self._runtime, self.session, self.history, text, thread_id=self.thread_id
        )
        if reply.thread_reset:
            self.thread_id = fresh_thread_id(self.session.session_id)
        self.history += [HumanMessage(text), AIMessage(reply.text)]
        return reply


def history_to_json(history: list[BaseMessage]) -> list[dict[str, Any]]:
    """Spoken history as ``[{"role", "content"}]``."""
    return [
        {"role": "user" if isinstance(m, HumanMessage) else "assistant", "content": m.text}
        for m in history
        if isinstance(m, HumanMessage | AIMessage)
    ]


def history_from_json(items: list[dict[str, Any]]) -> list[BaseMessage]:
    """The inverse of :func:`history_to_json` (unknown roles are skipped)."""
    kinds = {"user": HumanMessage, "assistant": AIMessage}
    return [
        kinds[item["role"]](str(item.get("content", "")))
        for item in items
        if isinstance(item, dict) and item.get("role") in kinds
    ]
