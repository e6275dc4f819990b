"""run_agent_turn: one outcome for every case, whichever channel runs it.

Answers, tool calls, failures, goodbyes and transfers here; timeouts in ``test_timeouts``.
"""

import json

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph

from convonet.agents.context import AgentContext
from convonet.agents.factory import AgentFactory
from convonet.agents.graph import AgentGraph, build_agent_graph
from convonet.agents.offline import OfflineAgentModel
from convonet.agents.turn import DEFAULT_APOLOGY, AgentOutcome, run_agent_turn
from convonet.settings import Settings
from convonet.tools.records import ToolCallRecord, record_tool_call

CONTEXT = AgentContext(session_id="s1")


async def _run(graph: AgentGraph, text: str, **kwargs: object) -> tuple[AgentOutcome, list[str]]:
    pieces: list[str] = []

    async def collect(piece: str) -> None:
        pieces.append(piece)

    outcome = await run_agent_turn(
        graph, CONTEXT, [HumanMessage(text)], timeout_secs=5, on_text=collect, **kwargs
    )  # type: ignore[arg-type]
    return outcome, pieces


async def test_an_answer_streams_and_is_timed() -> None:
    outcome, pieces = await _run(AgentFactory(Settings()).graph("offline"), "hello")
    assert outcome.text == "Hello! How can I help you today?" == "".join(pieces)
    assert len(pieces) > 3, "the answer streams in pieces"
    assert outcome.error is None and not outcome.timed_out and outcome.llm_used == "offline"
    assert not outcome.ends_call and outcome.transfer is None and outcome.tool_calls == []
    first = outcome.first_token_at or 0
    assert outcome.started_at <= first <= outcome.ended_at and outcome.elapsed_ms > 0


async def test_tool_calls_logged_during_the_turn_are_its_tool_calls() -> None:
    @tool("get_current_datetime")
    def clock(timezone: str = "") -> str:
        """The time (records itself like the MCP client interceptor does)."""
        record_tool_call(ToolCallRecord("get_current_datetime", {}, "12:00", "12:00", 3.5, "ok"))
        record_tool_call(ToolCallRecord("slow_lookup", {}, "timed out", "", 8000.0, "timeout"))
        return "2026-01-01T12:00:00+00:00"

    graph = build_agent_graph(OfflineAgentModel(), {"general": [clock]})
    outcome, _ = await _run(graph, "what time is it")
    assert [call.name for call in outcome.tool_calls] == ["get_current_datetime", "slow_lookup"]
    assert outcome.tools_ms == 8003.5
    assert outcome.timed_out and outcome.error is None, "a tool timeout marks the turn"
    assert "12:00" in outcome.text, "the tool result is phrased into the answer"


async def test_a_failure_is_an_apology_with_the_error() -> None:
    async def broken(_state: MessagesState) -> dict[str, object]:
        raise RuntimeError("model exploded")

    builder = StateGraph(MessagesState)
    builder.add_node("general_assistant", broken)
    builder.add_edge(START, "general_assistant")
    outcome, pieces = await _run(builder.compile(), "hi", apology="Oops.")  # type: ignore[arg-type]
    assert outcome.text == "Oops." and pieces == ["Oops."]
    assert outcome.error == "agent failed: model exploded" and not outcome.timed_out
    assert DEFAULT_APOLOGY != "Oops."


async def test_goodbye_ends_the_call() -> None:
    outcome, _ = await _run(AgentFactory(Settings()).graph("offline"), "goodbye")
    assert outcome.ends_call and outcome.text.startswith("Goodbye")


async def test_a_transfer_is_read_from_the_tool_result() -> None:
    @tool("transfer_to_agent")
    def transfer(department: str = "support", reason: str = "") -> str:
        """Transfer the caller."""
        return json.dumps({"department": "support", "extension": "2001", "status": "requested"})

    graph = build_agent_graph(OfflineAgentModel(), {"general": [transfer]})
    outcome, _ = await _run(graph, "let me talk to a real person")
    assert outcome.transfer == {"department": "support", "extension": "2001", "status": "requested"}
    assert not outcome.ends_call


async def test_a_node_that_returns_a_whole_message_is_spoken_once() -> None:
    async def whole(_state: MessagesState) -> dict[str, object]:
        return {"messages": [AIMessage("All done.")]}

    builder = StateGraph(MessagesState)
    builder.add_node("general_assistant", whole)
    builder.add_edge(START, "general_assistant")
    outcome, pieces = await _run(builder.compile(), "hi")  # type: ignore[arg-type]
    assert outcome.text == "All done." and pieces == ["All done."]
