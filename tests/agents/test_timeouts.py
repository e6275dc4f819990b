"""Agent limits: a hanging model ends the turn with an apology, and the model call stops."""

from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from convonet.agents.context import AgentContext
from convonet.agents.graph import build_agent_graph
from convonet.agents.turn import TIMEOUT_APOLOGY, run_agent_turn
from tests.conftest import test_settings
from tests.fakes.chat_models import SlowStreamingChatModel


async def test_a_hanging_llm_gets_an_apology() -> None:
    hanging = SlowStreamingChatModel(tokens=1, delay=30)
    graph = build_agent_graph(hanging, {"general": []})
    outcome = await run_agent_turn(
        graph, AgentContext(session_id="s1"), [HumanMessage("hello?")], timeout_secs=0.3
    )
    assert outcome.text == TIMEOUT_APOLOGY
    assert outcome.error == "agent turn exceeded 0.3s" and outcome.timed_out
    assert hanging.cancelled, "the model call must be cancelled, not left running"


@pytest.mark.slow
async def test_the_default_limits_are_eight_and_ten_seconds(tmp_path: Path) -> None:
    settings = test_settings(tmp_path)
    assert (settings.tool_timeout_secs, settings.agent_turn_timeout_secs) == (8.0, 10.0)
    model = SlowStreamingChatModel(tokens=1, delay=10.5)
    outcome = await run_agent_turn(
        build_agent_graph(model, {"general": []}),
        AgentContext(session_id="s1"),
        [HumanMessage("hello?")],
        timeout_secs=settings.agent_turn_timeout_secs,
    )
    assert outcome.error == "agent turn exceeded 10s" and 9_900 < outcome.elapsed_ms < 11_500
