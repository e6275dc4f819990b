"""Text turns through the same agent graph and the same turn listeners as voice calls.

``convonet chat`` and ``POST /agent/process`` answer with
:func:`~convonet.agents.turn.run_agent_turn` and record each turn as a
:class:`~convonet.turns.record.Turn` for the Agent Monitor, Prometheus and Sentry, exactly
like a voice call's turns. The history holds the spoken conversation only (caller and agent
text), like a voice call's pipecat context, so text and voice sessions behave the same.
"""

from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from convonet.agents.turn import AgentOutcome, run_agent_turn
from convonet.observability.listeners import turn_listeners
from convonet.observability.sentry import sentry_active
from convonet.runtime import Runtime
from convonet.session import CallSession
from convonet.transfer.call import CallTransfer
from convonet.transfer.summary import summarizer
from convonet.turns.build import text_turn
from convonet.turns.listeners import TurnListener
from convonet.turns.record import Turn


def text_listeners(runtime: Runtime) -> TurnListener:
    """The listeners of text turns: the Agent Monitor, Prometheus, and Sentry when on."""
    return turn_listeners(runtime.monitor, runtime.metrics, sentry=sentry_active(runtime.settings))


async def answer_text(
    runtime: Runtime,
    session: CallSession,
    history: list[BaseMessage],
    text: str,
    listener: TurnListener,
) -> tuple[AgentOutcome, Turn]:
    """Answer ``text`` given the spoken ``history`` and tell ``listener`` of the turn.

    Never raises for agent failures: a timeout or failure is an apology with ``error`` set.

    Args:
        runtime: The process runtime.
        session: Who is talking, with which bot and LLM.
        history: The conversation so far (caller and agent text only).
        text: The caller's new words.
        listener: Told of the finished turn.

    Returns:
        The agent's outcome and the turn's record.
    """
    outcome = await run_agent_turn(
        runtime.agents.graph(session.llm),
        session.agent_context(),
        [*history, HumanMessage(text)],
        timeout_secs=runtime.settings.agent_turn_timeout_secs,
    )
    turn = text_turn(session, text, outcome, len(history) // 2 + 1)
    listener.turn_ended(turn)
    return outcome, turn


async def answer_stored(runtime: Runtime, session: CallSession, text: str) -> AgentOutcome:
    """One turn of a text session whose history is kept in Redis (``/agent/process``).

    The tools must be ready; the stored history goes in and the new exchange is saved back.
    """
    await runtime.ensure_tools()
    history = history_from_json(await runtime.store.get_history(session.session_id))
    outcome, _ = await answer_text(runtime, session, history, text, text_listeners(runtime))
    exchange = [{"role": "user", "content": text}, {"role": "assistant", "content": outcome.text}]
    conversation = history_to_json(history) + exchange
    await runtime.store.save_history(
        session.session_id, conversation, runtime.settings.session_ttl_secs
    )
    if outcome.transfer is not None:  # no pipeline listens for a text session: record it here
        record = await runtime.store.get_transfer(session.session_id)
        if record is not None:
            await CallTransfer(
                runtime.db,
                runtime.store,
                session,
                lambda: conversation,
                context_ttl_secs=runtime.settings.transfer_context_ttl_secs,
                crm=runtime.settings.crm_enabled,
                summarize=summarizer(runtime.settings, session.llm),
            ).changed(record)
            record = await runtime.store.get_transfer(session.session_id) or record
            # The generated call id is what the call center files the context under.
            outcome.transfer |= {"status": record.status, "call_sid": record.call_sid or ""}
    return outcome


class TextConversation:
    """A text conversation kept in memory (the CLI REPL)."""

    def __init__(
        self, runtime: Runtime, session: CallSession, listener: TurnListener | None = None
    ) -> None:
        self._runtime = runtime
        self._listener = listener or text_listeners(runtime)
        self.session = session
        self.history: list[BaseMessage] = []

    async def say(self, text: str) -> AgentOutcome:
        """Send the caller's words and return the agent's outcome."""
        outcome, _ = await answer_text(
            self._runtime, self.session, self.history, text, self._listener
        )
        self.history += [HumanMessage(text), AIMessage(outcome.text)]
        return outcome


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
