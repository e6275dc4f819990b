"""Agent limits: a hanging model ends the turn with an apology and a thread reset."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from convonet.agents.graph import AgentGraph, build_agent_graph
from convonet.bots.assistant import BOT
from convonet.chat import TextConversation, run_text_turn
from convonet.processors.langgraph_processor import TIMEOUT_APOLOGY
from convonet.session import CallSession
from convonet.settings import Settings
from tests.conftest import test_settings
from tests.fakes.chat_models import SlowStreamingChatModel


@dataclass
class _Agents:
    graph_for_all: AgentGraph

    def graph(self, _llm: str) -> AgentGraph:
        return self.graph_for_all


@dataclass
class _Runtime:
    settings: Settings
    agents: _Agents


def _session() -> CallSession:
    return CallSession(
        session_id="s1", bot=BOT, llm="offline", channel="text", stt="whisper", tts="piper"
    )


async def test_a_hanging_llm_gets_an_apology_and_a_fresh_thread(tmp_path: Path) -> None:
    hanging = SlowStreamingChatModel(tokens=1, delay=30)
    runtime = _Runtime(
        test_settings(tmp_path, agent_turn_timeout_secs=0.3),
        _Agents(build_agent_graph(hanging, {"general": []})),
    )
    conversation = TextConversation(runtime, _session())  # type: ignore[arg-type]
    reply = await conversation.say("hello?")
    assert reply.text == TIMEOUT_APOLOGY
    assert reply.error == "agent turn exceeded 0.3s"
    assert reply.thread_reset and conversation.thread_id.startswith("s1-")
    assert hanging.cancelled, "the model call must be cancelled, not left running"


@pytest.mark.slow
async def test_the_default_limits_are_eight_and_ten_seconds(tmp_path: Path) -> None:
    settings = test_settings(tmp_path)
    assert (settings.tool_timeout_secs, settings.agent_turn_timeout_secs) == (8.0, 10.0)
    model = SlowStreamingChatModel(tokens=1, delay=10.5)
    runtime = _Runtime(settings, _Agents(build_agent_graph(model, {"general": []})))
    reply = await run_text_turn(runtime, _session(), [], "hello?")  # type: ignore[arg-type]
    assert reply.error == "agent turn exceeded 10s" and 9_900 < reply.elapsed_ms < 11_500
