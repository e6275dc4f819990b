"""The agent graph: router → domain agent (assistant ⇄ tools).

Each domain agent is an assistant node bound to that domain's tools plus the shared session
tools, looping through a tool node while the model calls tools.
"""

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import SystemMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.runtime import Runtime

from convonet.agents.context import AgentContext
from convonet.agents.offline.model import clock_line
from convonet.agents.repair import repair_orphan_tool_calls
from convonet.agents.router import make_router
from convonet.agents.speculation import hold_side_effects
from convonet.agents.state import AgentState

ASSISTANT_SUFFIX = "_assistant"

AgentGraph = CompiledStateGraph[AgentState, AgentContext, AgentState, AgentState]


def assistant_node_name(domain: str) -> str:
    """Name of a domain's assistant node (its tokens are the ones spoken)."""
    return f"{domain}{ASSISTANT_SUFFIX}"


def system_prompt(context: AgentContext | None) -> str:
    """The assistant's system message: the bot's persona and the caller's local time.

    Every model needs the time to resolve "tomorrow at 7"; the offline model reads it from
    the clock line.
    """
    if context is None:
        return clock_line(datetime.now(UTC))
    return f"{context.persona}\n{clock_line(context.now())}".strip()


def _make_assistant(
    model: Runnable[Any, Any],
) -> Callable[[AgentState, Runtime[AgentContext]], Awaitable[dict[str, Any]]]:
    async def assistant(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
        history = repair_orphan_tool_calls(state["messages"])
        messages = [SystemMessage(system_prompt(runtime.context)), *history]
        response = await model.ainvoke(messages)
        return {"messages": [response]}

    return assistant


# The graph's routers are coroutines: LangGraph runs a plain function given as a conditional
# edge in the default thread pool when the graph runs async, and each such hop waits for a
# worker thread, the GIL and a turn of the event loop (milliseconds each on a loaded server),
# for a dictionary lookup.
async def _to_domain(state: AgentState) -> str:
    """The router's choice: the domain whose assistant answers."""
    return state["domain"]


async def _tools_or_end(state: AgentState) -> str:
    """``"tools"`` when the assistant's last message calls tools, else the end."""
    return tools_condition(cast(Any, state))


def build_agent_graph(
    model: BaseChatModel, domain_tools: Mapping[str, Sequence[BaseTool]]
) -> AgentGraph:
    """Compile the agent graph.

    Args:
        model: The chat model (any LangChain chat model with tool calling).
        domain_tools: For each domain, the tools its agent may call.

    Returns:
        The compiled graph, taking :class:`AgentContext` as run-time context.
    """
    builder = StateGraph(AgentState, context_schema=AgentContext)
    builder.add_node("router", cast(Any, make_router(frozenset(domain_tools))))
    builder.add_edge(START, "router")
    targets: dict[Hashable, str] = {}
    for domain, tools in domain_tools.items():
        assistant, tool_node = assistant_node_name(domain), f"{domain}_tools"
        builder.add_node(assistant, cast(Any, _make_assistant(model.bind_tools(list(tools)))))
        builder.add_node(
            tool_node,
            ToolNode(list(tools), handle_tool_errors=True, awrap_tool_call=hold_side_effects),
        )
        builder.add_conditional_edges(assistant, _tools_or_end, {"tools": tool_node, END: END})
        builder.add_edge(tool_node, assistant)
        targets[domain] = assistant
    builder.add_conditional_edges("router", _to_domain, targets)
    return builder.compile()
