"""The agent graph: routing, the tool loop, and the session tools."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from convonet.agents.context import AgentContext
from convonet.agents.factory import AgentFactory
from convonet.agents.router import choose_domain
from convonet.agents.turn import run_agent_turn
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


async def test_a_tool_turn_never_leaves_the_event_loop_thread() -> None:
    """A turn runs on the event loop alone.

    Routers and session tools are coroutines: LangGraph and LangChain run plain functions in
    the thread pool, a hop that costs a loaded server's event loop a turn each.
    """
    graph = AgentFactory(Settings()).graph("offline")
    loop = asyncio.get_running_loop()
    hops: list[Callable[..., Any]] = []
    run_in_executor = loop.run_in_executor

    def counting(executor: Any, func: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        hops.append(func)
        return run_in_executor(executor, func, *args)

    loop.run_in_executor = counting  # type: ignore[method-assign]
    try:
        for words in ("what time is it", "hello", "goodbye"):
            context = AgentContext(session_id="s")
            outcome = await run_agent_turn(graph, context, [HumanMessage(words)], timeout_secs=5)
            assert outcome.error is None and outcome.text
    finally:
        del loop.run_in_executor
    assert hops == []


def test_the_graph_routes_from_its_nodes_without_conditional_edges() -> None:
    """Routing is the nodes' ``Command``: no conditional edge, each a traced runnable of its own.

    The drawn graph still shows every way a turn can go.
    """
    graph = AgentFactory(Settings()).graph("offline")
    assert dict(graph.builder.branches) == {}
    edges = {(e.source, e.target) for e in graph.get_graph().edges}
    assert {
        ("__start__", "router"),
        ("router", "general_assistant"),
        ("general_assistant", "general_tools"),
        ("general_tools", "general_assistant"),
        ("general_assistant", "__end__"),
    } <= edges


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
