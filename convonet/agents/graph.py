"""The agent graph: router → domain agent (assistant ⇄ tools).

Each domain agent is an assistant node bound to that domain's tools plus the shared session
tools, looping through a tool node while the model calls tools. The router and the assistants
say where the turn goes next with a ``Command`` (see :func:`_make_assistant` for why).
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, SystemMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode
from langgraph.runtime import Runtime
from langgraph.types import Command

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


# The graph routes with Command(goto=...) from its nodes rather than conditional edges. A
# conditional edge is a traced runnable of its own: each evaluation runs its function in a
# new task and reports its end through LangChain's shielded callback (another task), some
# five turns of the event loop for a dictionary lookup. On a loaded server every turn of the
# loop waits for all the other calls' ready work, so an agent turn's latency grows with the
# number of turns it takes: a clock answer took 61 loop turns to its first word with the
# edges, 51 without (docs/benchmarks.md, sixth session).
def _make_assistant(
    model: Runnable[Any, Any], tool_node: str
) -> Callable[[AgentState, Runtime[AgentContext]], Awaitable[Command[str]]]:
    async def assistant(state: AgentState, runtime: Runtime[AgentContext]) -> Command[str]:
        history = repair_orphan_tool_calls(state["messages"])
        messages = [SystemMessage(system_prompt(runtime.context)), *history]
        response = await model.ainvoke(messages)
        calls_tools = isinstance(response, AIMessage) and bool(response.tool_calls)
        return Command(update={"messages": [response]}, goto=tool_node if calls_tools else END)

    return assistant


def _make_router(
    available: frozenset[str],
) -> Callable[[AgentState, Runtime[AgentContext]], Awaitable[Command[str]]]:
    choose = make_router(available)

    async def router(state: AgentState, runtime: Runtime[AgentContext]) -> Command[str]:
        update = await choose(state, runtime)
        return Command(update=update, goto=assistant_node_name(update["domain"]))

    return router


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
    builder.add_node(
        "router",
        cast(Any, _make_router(frozenset(domain_tools))),
        destinations=tuple(assistant_node_name(d) for d in domain_tools),
    )
    builder.add_edge(START, "router")
    for domain, tools in domain_tools.items():
        assistant, tool_node = assistant_node_name(domain), f"{domain}_tools"
        builder.add_node(
            assistant,
            cast(Any, _make_assistant(model.bind_tools(list(tools)), tool_node)),
            destinations=(tool_node, END),
        )
        builder.add_node(
            tool_node,
            ToolNode(list(tools), handle_tool_errors=True, awrap_tool_call=hold_side_effects),
        )
        builder.add_edge(tool_node, assistant)
    return builder.compile()
