"""Orphan tool calls are answered before the model sees the history."""

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from convonet.agents.repair import INTERRUPTED, repair_orphan_tool_calls


def _call(call_id: str, name: str = "get_todos") -> dict:  # type: ignore[type-arg]
    return {"name": name, "args": {}, "id": call_id}


def test_orphans_get_an_error_result_right_after_their_call() -> None:
    history = [
        HumanMessage("what's on my list"),
        AIMessage("", tool_calls=[_call("a"), _call("b", "get_reminders")]),
        ToolMessage("{}", tool_call_id="a", name="get_todos"),
        HumanMessage("never mind"),
    ]
    repaired = repair_orphan_tool_calls(history)
    assert [type(m).__name__ for m in repaired] == [
        "HumanMessage", "AIMessage", "ToolMessage", "ToolMessage", "HumanMessage"
    ]  # fmt: skip
    synthetic = repaired[2]
    assert isinstance(synthetic, ToolMessage)
    assert (synthetic.tool_call_id, synthetic.status, synthetic.text) == ("b", "error", INTERRUPTED)


def test_a_complete_history_is_unchanged() -> None:
    history = [
        HumanMessage("hi"),
        AIMessage("", tool_calls=[_call("a")]),
        ToolMessage("{}", tool_call_id="a"),
        AIMessage("done"),
    ]
    assert repair_orphan_tool_calls(history) == history
