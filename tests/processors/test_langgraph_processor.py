"""LangGraphProcessor, driven with pipecat's run_test."""

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from pipecat.frames.frames import (
    EagerEndOfTurnCancelFrame,
    EndWorkerFrame,
    ErrorFrame,
    InterruptionFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    MetricsFrame,
    TTSSpeakFrame,
    UserStoppedSpeakingFrame,
    UserTurnInferenceCompletedFrame,
)
from pipecat.metrics.metrics import ProcessingMetricsData, TTFBMetricsData
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frameworks.rtvi.frames import RTVIServerMessageFrame
from pipecat.tests.utils import SleepFrame, run_test

from convonet.agents.context import AgentContext
from convonet.agents.factory import AgentFactory
from convonet.agents.graph import build_agent_graph
from convonet.agents.offline import OfflineAgentModel
from convonet.agents.turn import DEFAULT_APOLOGY, TIMEOUT_APOLOGY, AgentOutcome
from convonet.processors.frames import AgentTurnFrame, SpeechPreviewFrame
from convonet.processors.langgraph_processor import LangGraphProcessor
from convonet.settings import Settings
from tests.fakes.chat_models import SlowStreamingChatModel


def _context_frame(text: str) -> LLMContextFrame:
    return LLMContextFrame(context=LLMContext(messages=[{"role": "user", "content": text}]))


def _graph(node: Callable[[MessagesState], Awaitable[dict]]):  # type: ignore[no-untyped-def]
    builder = StateGraph(MessagesState)
    builder.add_node("general_assistant", node)
    builder.add_edge(START, "general_assistant")
    return builder.compile()


def _turn(frames) -> AgentOutcome:  # type: ignore[no-untyped-def]
    turns = [f for f in frames if isinstance(f, AgentTurnFrame)]
    assert len(turns) == 1, frames
    assert turns[0].session_id == "test"
    return turns[0].outcome


def _speech(frames) -> list:  # type: ignore[no-untyped-def,type-arg]
    """The frames without the bookkeeping AgentTurnFrame."""
    return [f for f in frames if not isinstance(f, AgentTurnFrame)]


def _texts(frames) -> str:  # type: ignore[no-untyped-def]
    return "".join(f.text for f in frames if isinstance(f, LLMTextFrame))


def _processor(graph, **kwargs) -> LangGraphProcessor:  # type: ignore[no-untyped-def]
    return LangGraphProcessor(graph, AgentContext(session_id="test"), **kwargs)


async def test_streams_reply_between_start_and_end_frames() -> None:
    graph = AgentFactory(Settings()).graph("offline")
    down, _ = await run_test(_processor(graph), frames_to_send=[_context_frame("hello")])
    kinds = [type(f) for f in _speech(down)]
    assert kinds[0] is LLMFullResponseStartFrame
    assert kinds[-1] is LLMFullResponseEndFrame
    assert kinds.count(LLMTextFrame) > 3, "reply should stream in several tokens"
    assert _texts(down) == "Hello! How can I help you today?"
    turn = _turn(down)
    assert turn.text == "Hello! How can I help you today?" and turn.error is None
    assert turn.started_at <= (turn.first_token_at or 0) <= turn.ended_at
    assert not turn.timed_out and turn.llm_used == "offline"
    assert type(down[-1]) is AgentTurnFrame, "the turn record follows the reply"


async def test_tool_call_turn_speaks_the_phrased_result() -> None:
    graph = AgentFactory(Settings()).graph("offline")
    down, _ = await run_test(_processor(graph), frames_to_send=[_context_frame("what time is it")])
    assert _texts(down).startswith("It's ")
    assert isinstance(_speech(down)[-1], LLMFullResponseEndFrame)


async def test_empty_reply_still_sends_end_frame() -> None:
    async def silent(_state: MessagesState) -> dict:
        return {"messages": [AIMessage(content="")]}

    down, _ = await run_test(
        _processor(_graph(silent)),
        frames_to_send=[_context_frame("anything")],
        expected_down_frames=[LLMFullResponseStartFrame, LLMFullResponseEndFrame, AgentTurnFrame],
    )
    assert _texts(down) == ""


async def test_graph_error_pushes_error_and_apologises() -> None:
    async def broken(_state: MessagesState) -> dict:
        raise RuntimeError("model exploded")

    down, up = await run_test(_processor(_graph(broken)), frames_to_send=[_context_frame("hi")])
    errors = [f for f in up if isinstance(f, ErrorFrame)]
    assert errors and "model exploded" in errors[0].error
    assert _texts(down) == DEFAULT_APOLOGY
    assert isinstance(_speech(down)[-1], LLMFullResponseEndFrame)
    assert "model exploded" in (_turn(down).error or "")


async def test_turn_timeout_apologises_and_ends() -> None:
    async def hanging(_state: MessagesState) -> dict:
        await asyncio.sleep(30)
        return {"messages": []}

    down, up = await run_test(
        _processor(_graph(hanging), turn_timeout_secs=0.2),
        frames_to_send=[_context_frame("hi")],
    )
    assert any(isinstance(f, ErrorFrame) and "exceeded" in f.error for f in up)
    assert "took too long" in _texts(down)
    assert isinstance(_speech(down)[-1], LLMFullResponseEndFrame)
    turn = _turn(down)
    assert turn.timed_out and turn.text == TIMEOUT_APOLOGY
    assert turn.error == "agent turn exceeded 0.2s"


async def test_interruption_cancels_the_graph_mid_stream() -> None:
    slow = SlowStreamingChatModel(tokens=100, delay=0.05)
    graph = build_agent_graph(slow, {"general": []})
    down, _ = await run_test(
        _processor(graph),
        frames_to_send=[_context_frame("talk"), SleepFrame(sleep=0.4), InterruptionFrame()],
    )
    assert slow.cancelled, "the interruption must cancel the graph run"
    assert 0 < slow.emitted < 20
    spoken = _texts(down)
    assert spoken.startswith("word0 ") and "word50" not in spoken, "only a partial reply"
    assert any(isinstance(f, InterruptionFrame) for f in down)


async def test_goodbye_ends_the_session_after_the_reply() -> None:
    graph = AgentFactory(Settings()).graph("offline")
    down, _ = await run_test(_processor(graph), frames_to_send=[_context_frame("goodbye")])
    assert _turn(down).ends_call
    kinds = [type(f) for f in down]
    assert "Goodbye" in _texts(down)
    assert kinds.index(EndWorkerFrame) > kinds.index(LLMFullResponseEndFrame)


async def test_reports_ttfb_and_processing_metrics() -> None:
    graph = AgentFactory(Settings()).graph("offline")
    down, _ = await run_test(
        _processor(graph),
        frames_to_send=[_context_frame("hello")],
        pipeline_params=PipelineParams(enable_metrics=True),
    )
    data = [d for f in down if isinstance(f, MetricsFrame) for d in f.data]
    assert any(isinstance(d, TTFBMetricsData) and d.value > 0 for d in data)
    assert any(isinstance(d, ProcessingMetricsData) and d.value > 0 for d in data)


@pytest.mark.parametrize("text", ["", "   "])
async def test_blank_context_gets_didnt_catch(text: str) -> None:
    graph = AgentFactory(Settings()).graph("offline")
    down, _ = await run_test(_processor(graph), frames_to_send=[_context_frame(text)])
    assert "didn't catch" in _texts(down)


async def test_transfer_request_is_in_the_turn_outcome_not_a_second_rtvi_path() -> None:
    @tool("transfer_to_agent")
    def fake_transfer(department: str = "support", reason: str = "") -> str:
        """Transfer the caller."""
        return json.dumps({"department": "support", "extension": "2001", "status": "requested"})

    graph = build_agent_graph(OfflineAgentModel(), {"general": [fake_transfer]})
    down, _ = await run_test(
        _processor(graph), frames_to_send=[_context_frame("let me talk to a real person")]
    )
    # The client hears of it from TransferEventsProcessor (the transfer service publishes).
    assert not [f for f in down if isinstance(f, RTVIServerMessageFrame)]
    assert _turn(down).transfer == {
        "department": "support",
        "extension": "2001",
        "status": "requested",
    }


def _speculative(text: str) -> LLMContextFrame:
    context = LLMContext(messages=[{"role": "user", "content": text}])
    return LLMContextFrame(context=context, speculation=True)


async def test_a_prepared_reply_is_held_until_the_turn_is_confirmed() -> None:
    graph = AgentFactory(Settings()).graph("offline")
    frames = [
        _speculative("hello, how are you"),
        SleepFrame(sleep=0.3),
        TTSSpeakFrame("Connecting you now."),  # passing through: never held behind the reply
        SleepFrame(sleep=0.1),
        UserStoppedSpeakingFrame(),
    ]

    down, up = await run_test(_processor(graph), frames_to_send=frames)

    kinds = [type(f) for f in down]
    confirmed = kinds.index(UserStoppedSpeakingFrame)
    assert kinds.index(TTSSpeakFrame) < confirmed
    assert kinds.index(LLMFullResponseStartFrame) > confirmed, kinds
    assert kinds.index(AgentTurnFrame) > confirmed
    assert _texts(down) == "Hello! How can I help you today?"
    # The text went ahead for the TTS to prepare; the model judged the request whole.
    previews = [f for f in down if isinstance(f, SpeechPreviewFrame)]
    assert previews[0].reply_start and previews[-1].reply_end
    assert "".join(p.text for p in previews) == "Hello! How can I help you today?"
    assert kinds.index(SpeechPreviewFrame) < confirmed
    assert any(isinstance(f, UserTurnInferenceCompletedFrame) for f in up)


async def test_a_withdrawn_preparation_says_nothing() -> None:
    graph = AgentFactory(Settings()).graph("offline")
    frames = [_speculative("goodbye"), SleepFrame(sleep=0.3), EagerEndOfTurnCancelFrame()]

    down, _ = await run_test(_processor(graph), frames_to_send=frames)

    assert _texts(down) == "" and not any(isinstance(f, AgentTurnFrame) for f in down), down
    assert not any(isinstance(f, EndWorkerFrame) for f in down), "the goodbye never happened"


async def test_a_held_tool_call_waits_for_the_window_and_runs_only_when_confirmed() -> None:
    created: list[str] = []

    @tool("create_todo")
    def fake_create_todo(title: str, priority: str = "medium") -> str:
        """Add a to-do (records that it ran)."""
        created.append(title)
        return json.dumps({"id": 1, "title": title})

    graph = build_agent_graph(OfflineAgentModel(), {"general": [fake_create_todo]})
    frames = [_speculative("add buy milk to my to-do list"), SleepFrame(sleep=0.3)]

    down, up = await run_test(_processor(graph), frames_to_send=frames)

    # No verdict ends the turn early for a call that cannot be taken back, and the
    # confirmation never came here: so the to-do was never created and nothing was said.
    assert not any(isinstance(f, UserTurnInferenceCompletedFrame) for f in up)
    assert created == [] and _texts(down) == ""


async def test_a_request_the_model_did_not_understand_waits_for_the_window() -> None:
    graph = AgentFactory(Settings()).graph("offline")
    frames = [_speculative("my phone number is five five five"), SleepFrame(sleep=0.3)]

    _, up = await run_test(_processor(graph), frames_to_send=frames)

    assert not any(isinstance(f, UserTurnInferenceCompletedFrame) for f in up)
