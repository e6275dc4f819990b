"""The agent graph: routing, the tool loop, and the session tools."""

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from convonet.agents.context import AgentContext
from convonet.agents.factory import AgentFactory
from convonet.agents.router import choose_domain
from convonet.conversation.chat import TextConversation
from convonet.runtime import open_runtime
from convonet.settings import Settings
from tests.conftest import test_settings


async def test_tool_loop_runs_the_clock_and_answers() -> None:
    graph = AgentFactory(Settings()).graph("offline")
    state = await graph.ainvoke(
        {"messages": [HumanMessage("what time is it")]}, context=AgentContext(session_id="s")
    )
    kinds = [type(m) for m in state["messages"]]
    assert kinds == [HumanMessage, AIMessage, ToolMessage, AIMessage]
    assert state["domain"] == "general"
    assert str(state["messages"][-1].content).startswith("It's ")


def test_router_pins_a_single_domain_and_falls_back_to_general() -> None:
    available = frozenset({"general", "mortgage"})
    assert choose_domain("what time is it", ("mortgage",), available) == "mortgage"
    assert choose_domain("hi", ("general", "mortgage"), available) == "general"
    assert choose_domain("hi", ("restaurant",), available) == "general"


async def test_text_conversation_keeps_history_and_ends_on_goodbye(tmp_path: Path) -> None:
    async with open_runtime(test_settings(tmp_path, tools_enabled=False)) as runtime:
        conversation = TextConversation(runtime, runtime.new_session("text"))
        await _converse(conversation)


async def _converse(conversation: TextConversation) -> None:
    first = await conversation.say("hello")
    assert first.text == "Hello! How can I help you today?" and not first.ends_call
    last = await conversation.say("goodbye")
    assert last.ends_call and last.text.startswith("Goodbye")
    assert [type(m) for m in conversation.history] == [HumanMessage, AIMessage] * 2


@pytest.mark.parametrize("name", ["nobody", ""])
def test_unknown_llm_is_rejected(name: str) -> None:
    from convonet.agents.llms import resolve_llm
    from convonet.errors import UnknownLLMError

    if name:
        with pytest.raises(UnknownLLMError):
            resolve_llm(name, None, Settings())
    else:
        assert resolve_llm(None, None, Settings()) == "offline"
