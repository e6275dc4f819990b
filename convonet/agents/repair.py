"""Repair of orphan tool calls before a model sees the history.

An assistant message whose tool calls have no results (a barge-in or timeout cut the turn
between the call and its result) makes every provider reject the next request. Each such
call gets a synthetic error result right after it.
"""

from collections.abc import Sequence

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

INTERRUPTED = "cancelled: the call was interrupted before it finished"


def repair_orphan_tool_calls(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """Return ``messages`` with a result for every tool call that lacks one."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    repaired: list[BaseMessage] = []
    for message in messages:
        repaired.append(message)
        if isinstance(message, AIMessage):
            repaired.extend(
                ToolMessage(INTERRUPTED, tool_call_id=call["id"], name=call["name"], status="error")
                for call in message.tool_calls
                if call["id"] and call["id"] not in answered
            )
    return repaired
