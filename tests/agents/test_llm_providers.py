"""Cloud LLM providers through their real LangChain integrations, against local fake APIs.

Each provider's chat model comes from ``create_chat_model`` pointed at a fake server that
speaks that provider's HTTP API; the agent graph runs "what time is it" through the tool loop.
Fallback tests make the first provider fail (HTTP 500, 429, a hang, a refused connection,
a bad key) and check who answered. No real network.
"""

import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from loguru import logger
from pydantic import ValidationError

from convonet.agents.context import AgentContext
from convonet.agents.fallback import ProviderEvent, answered_by, classify_failure
from convonet.agents.graph import AgentGraph, build_agent_graph
from convonet.agents.llms import (
    available_llms,
    create_chat_model,
    fallback_chain,
    resolve_llm,
)
from convonet.agents.session_tools import session_tools
from convonet.agents.turn import run_agent_turn
from convonet.errors import UnknownLLMError
from convonet.settings import Settings
from tests.fakes.anthropic_api import FakeAnthropic
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.llm_server import FakeLLMServer, RecordedRequest, Reply, tool_then_text
from tests.fakes.openai_api import FakeOpenAI

TOOL = "get_current_datetime"
ANSWER = "It is a quarter past nine in the morning."
CONTEXT = AgentContext(session_id="t")


def make_settings(**overrides: Any) -> Settings:
    """Settings with every LLM provider off unless ``overrides`` turn it on."""
    values: dict[str, Any] = {
        "environment": "test",
        "default_llm": None,
        "anthropic_api_key": None,
        "anthropic_base_url": None,
        "openai_api_key": None,
        "openai_base_url": None,
        "google_api_key": None,
        "gemini_base_url": None,
        "openai_compatible_base_url": None,
        "openai_compatible_api_key": None,
        "llm_fallback_chain": ["claude", "openai", "gemini", "offline"],
        "llm_fallback_on_client_errors": False,
    }
    return Settings(_env_file=None, **{**values, **overrides})  # type: ignore[call-arg]


def claude_at(fake: FakeLLMServer) -> dict[str, Any]:
    return {"anthropic_api_key": fake.api_key, "anthropic_base_url": fake.base_url}


def openai_at(fake: FakeLLMServer) -> dict[str, Any]:
    return {"openai_api_key": fake.api_key, "openai_base_url": f"{fake.base_url}/v1"}


def gemini_at(fake: FakeLLMServer) -> dict[str, Any]:
    return {"google_api_key": fake.api_key, "gemini_base_url": fake.base_url}


def compatible_at(fake: FakeLLMServer) -> dict[str, Any]:
    return {"openai_compatible_base_url": f"{fake.base_url}/v1"}


def time_script() -> list[Any]:
    return tool_then_text(TOOL, {"what": "time"}, ANSWER)


def graph_for(
    llm: str, settings: Settings, events: list[ProviderEvent] | None = None
) -> AgentGraph:
    listener = events.append if events is not None else None
    model = create_chat_model(llm, settings, listener=listener)
    return build_agent_graph(model, {"general": session_tools()})


async def ask_time(graph: AgentGraph, *, streaming: bool) -> tuple[dict[str, Any], list[str]]:
    """Run "what time is it"; returns the final state and the streamed text pieces."""
    inputs = {"messages": [HumanMessage("what time is it")]}
    if not streaming:
        return await graph.ainvoke(inputs, context=CONTEXT), []
    state: dict[str, Any] = {}
    spoken: list[str] = []
    async for mode, item in graph.astream(
        inputs, context=CONTEXT, stream_mode=["messages", "values"]
    ):
        if mode == "values":
            state = item
        elif isinstance(item[0], AIMessageChunk) and item[0].text:
            spoken.append(item[0].text)
    return state, spoken


def tool_messages(state: dict[str, Any]) -> list[ToolMessage]:
    return [m for m in state["messages"] if isinstance(m, ToolMessage)]


# --- what each fake must have seen, in its provider's own format ----------------------------


def check_openai(first: dict[str, Any], second: dict[str, Any], result: ToolMessage) -> None:
    tools = {t["function"]["name"]: t["function"] for t in first["tools"]}
    assert tools[TOOL]["parameters"]["properties"]["what"]["enum"] == ["date", "time", "both"]
    assistant, tool = second["messages"][-2:]
    assert assistant["role"] == "assistant"
    assert assistant["tool_calls"][0]["id"] == result.tool_call_id
    assert assistant["tool_calls"][0]["function"]["name"] == TOOL
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"what": "time"}
    assert tool["role"] == "tool" and tool["tool_call_id"] == result.tool_call_id
    assert tool["content"] == result.content


def check_anthropic(first: dict[str, Any], second: dict[str, Any], result: ToolMessage) -> None:
    tools = {t["name"]: t for t in first["tools"]}
    assert tools[TOOL]["input_schema"]["properties"]["what"]["enum"] == ["date", "time", "both"]
    assistant, user = second["messages"][-2:]
    (use,) = [b for b in assistant["content"] if b["type"] == "tool_use"]
    assert assistant["role"] == "assistant" and use["id"] == result.tool_call_id
    assert use["name"] == TOOL and use["input"] == {"what": "time"}
    (block,) = user["content"]
    assert user["role"] == "user" and block["type"] == "tool_result"
    assert block["tool_use_id"] == result.tool_call_id and block["content"] == result.content


def check_gemini(first: dict[str, Any], second: dict[str, Any], result: ToolMessage) -> None:
    (declarations,) = [t["functionDeclarations"] for t in first["tools"]]
    tools = {d["name"]: d for d in declarations}
    assert tools[TOOL]["parameters"]["properties"]["what"]["enum"] == ["date", "time", "both"]
    model, user = second["contents"][-2:]
    assert model["role"] == "model"
    assert model["parts"][0]["functionCall"] == {"name": TOOL, "args": {"what": "time"}}
    response = user["parts"][0]["functionResponse"]
    assert user["role"] == "user" and response["name"] == TOOL
    assert response["response"] == json.loads(str(result.content))


def body_streamed(request: RecordedRequest) -> bool:
    return bool(request.body.get("stream"))


def gemini_streamed(request: RecordedRequest) -> bool:
    return request.path.endswith(":streamGenerateContent") and request.query.get("alt") == "sse"


@dataclass(frozen=True)
class Case:
    llm: str
    fake: type[FakeLLMServer]
    settings: Callable[[FakeLLMServer], dict[str, Any]]
    check: Callable[[dict[str, Any], dict[str, Any], ToolMessage], None]
    streamed: Callable[[RecordedRequest], bool]


CASES = [
    Case("claude", FakeAnthropic, claude_at, check_anthropic, body_streamed),
    Case("openai", FakeOpenAI, openai_at, check_openai, body_streamed),
    Case("gemini", FakeGemini, gemini_at, check_gemini, gemini_streamed),
    Case("openai-compatible", FakeOpenAI, compatible_at, check_openai, body_streamed),
]


# --- the tool loop through every provider ---------------------------------------------------


@pytest.mark.parametrize("streaming", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize("case", CASES, ids=[c.llm for c in CASES])
async def test_tool_loop_runs_through_each_provider(case: Case, streaming: bool) -> None:
    api_key = None if case.llm == "openai-compatible" else "test-key"
    async with case.fake(script=time_script(), api_key=api_key) as fake:
        state, spoken = await ask_time(
            graph_for(case.llm, make_settings(**case.settings(fake))), streaming=streaming
        )

    (result,) = tool_messages(state)
    assert result.name == TOOL and result.status == "success"
    assert json.loads(str(result.content))["what"] == "time"
    final = state["messages"][-1]
    assert isinstance(final, AIMessage) and final.text == ANSWER and not final.tool_calls
    assert answered_by(state["messages"]) == case.llm
    assert [r.status for r in fake.requests] == [200, 200]
    assert [case.streamed(r) for r in fake.requests] == [streaming, streaming]
    case.check(fake.bodies[0], fake.bodies[1], result)
    if streaming:  # word by word, each token once, so TTS can start on the first words
        assert len(spoken) >= 5 and "".join(spoken) == ANSWER


async def test_openai_compatible_server_gets_the_configured_model_and_placeholder_key() -> None:
    async with FakeOpenAI(script=time_script(), api_key="not-needed") as fake:
        settings = make_settings(**compatible_at(fake), openai_compatible_model="qwen3:4b")
        await ask_time(graph_for("openai-compatible", settings), streaming=False)
    assert [b["model"] for b in fake.bodies] == ["qwen3:4b", "qwen3:4b"]


# --- fallback ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "kind"), [(500, "server"), (429, "rate_limit"), ("hang", "timeout")]
)
@pytest.mark.parametrize("streaming", [False, True], ids=["invoke", "stream"])
async def test_transient_failure_falls_back_to_the_next_provider(
    failure: int | str, kind: str, streaming: bool
) -> None:
    events: list[ProviderEvent] = []
    async with (
        FakeAnthropic(fail=failure) as claude,  # type: ignore[arg-type]
        FakeOpenAI(script=time_script()) as fallback,
    ):
        # Only the hang needs a short timeout; elsewhere a wide one keeps a busy machine's slow
        # answer from the fallback provider from counting as a second failure.
        timeout = 1.0 if failure == "hang" else 10.0
        settings = make_settings(
            **claude_at(claude), **openai_at(fallback), llm_timeout_secs=timeout
        )
        state, spoken = await ask_time(graph_for("claude", settings, events), streaming=streaming)

    assert len(tool_messages(state)) == 1 and state["messages"][-1].text == ANSWER
    assert answered_by(state["messages"]) == "openai"
    assert len(claude.requests) == 2 and len(fallback.bodies) == 2  # both LLM calls of the loop
    failed = [(e.provider, e.failure, e.next_provider) for e in events if not e.answered]
    assert failed == [("claude", kind, "openai")] * 2
    assert [(e.provider, e.position) for e in events if e.answered] == [("openai", 1)] * 2
    if streaming:
        assert "".join(spoken) == ANSWER  # nothing from the failed provider leaked out


async def test_chain_ends_in_offline_when_every_cloud_provider_fails() -> None:
    events: list[ProviderEvent] = []
    async with (
        FakeAnthropic(fail=500) as claude,
        FakeOpenAI(fail=503) as gpt,
        FakeGemini(fail=429) as gemini,
    ):
        settings = make_settings(**claude_at(claude), **openai_at(gpt), **gemini_at(gemini))
        state, spoken = await ask_time(graph_for("claude", settings, events), streaming=True)

    (result,) = tool_messages(state)
    assert result.name == TOOL and result.status == "success"
    assert answered_by(state["messages"]) == "offline"
    assert str(state["messages"][-1].content).startswith("It's ") and "".join(spoken)
    assert [len(f.requests) for f in (claude, gpt, gemini)] == [2, 2, 2]
    assert [e.next_provider for e in events if not e.answered] == [
        "openai",
        "gemini",
        "offline",
    ] * 2


async def test_refused_connection_falls_back() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    events: list[ProviderEvent] = []
    async with FakeGemini(script=time_script()) as gemini:
        settings = make_settings(
            anthropic_api_key="k", anthropic_base_url=dead, **gemini_at(gemini)
        )
        state, _ = await ask_time(graph_for("claude", settings, events), streaming=False)
    assert answered_by(state["messages"]) == "gemini"
    assert {e.failure for e in events if not e.answered} == {"connection"}


async def test_stall_after_the_first_chunk_is_raised_not_retried_elsewhere() -> None:
    events: list[ProviderEvent] = []
    async with (
        FakeOpenAI(script=time_script(), chunk_delay=3.0) as slow,
        FakeGemini(script=time_script()) as gemini,
    ):
        # The first chunk must beat the timeout even on a busy machine; the second never does.
        settings = make_settings(**openai_at(slow), **gemini_at(gemini), llm_timeout_secs=1.0)
        with pytest.raises(Exception) as raised:
            await ask_time(graph_for("openai", settings, events), streaming=True)
    assert classify_failure(raised.value) == "timeout"
    assert gemini.requests == []  # a partly streamed reply may already be spoken
    assert [(e.provider, e.answered, e.failure, e.next_provider) for e in events] == [
        ("openai", True, None, None),
        ("openai", False, "timeout", None),
    ]


@pytest.fixture
def error_log() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="ERROR")
    yield lines
    logger.remove(sink)


async def test_rejected_key_is_logged_and_raised_without_fallback(error_log: list[str]) -> None:
    events: list[ProviderEvent] = []
    async with FakeAnthropic() as claude, FakeOpenAI(script=time_script()) as gpt:
        settings = make_settings(
            **{**claude_at(claude), "anthropic_api_key": "bad"}, **openai_at(gpt)
        )
        with pytest.raises(Exception) as raised:
            await ask_time(graph_for("claude", settings, events), streaming=False)
    assert classify_failure(raised.value) == "auth"
    assert [r.status for r in claude.requests] == [401] and gpt.requests == []
    assert [(e.failure, e.next_provider) for e in events] == [("auth", None)]
    assert any("'claude' rejected its credentials" in line for line in error_log)


async def test_client_errors_fall_back_when_configured() -> None:
    async with FakeAnthropic(fail=400) as claude, FakeOpenAI(script=time_script()) as gpt:
        settings = make_settings(
            **claude_at(claude), **openai_at(gpt), llm_fallback_on_client_errors=True
        )
        state, _ = await ask_time(graph_for("claude", settings), streaming=False)
    assert answered_by(state["messages"]) == "openai"
    assert [r.status for r in claude.requests] == [400, 400]


async def test_a_failing_listener_does_not_fail_the_turn() -> None:
    def broken(event: ProviderEvent) -> None:
        raise RuntimeError("metrics are down")

    model = create_chat_model("offline", make_settings(), listener=broken)
    graph = build_agent_graph(model, {"general": session_tools()})
    state, _ = await ask_time(graph, streaming=False)
    assert answered_by(state["messages"]) == "offline"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (TimeoutError(), "timeout"),
        (ConnectionRefusedError(), "connection"),
        (openai.APIConnectionError(request=httpx.Request("POST", "http://x")), "connection"),
        (ValueError("bug"), "other"),
    ],
)
def test_classify_failure(error: Exception, kind: str) -> None:
    assert classify_failure(error) == kind


# --- choosing an LLM ---------------------------------------------------------------------------


def test_without_keys_only_offline_is_available() -> None:
    settings = make_settings()
    assert available_llms(settings) == ["offline"]
    assert resolve_llm(None, None, settings) == "offline"
    for name in ("claude", "openai", "gemini", "openai-compatible", "llama"):
        with pytest.raises(UnknownLLMError):
            resolve_llm(name, None, settings)
    with pytest.raises(UnknownLLMError, match="not configured"):
        create_chat_model("claude", settings)


def test_keys_and_base_urls_switch_providers_on() -> None:
    settings = make_settings(
        anthropic_api_key="a",
        google_api_key="g",
        openai_compatible_base_url="http://127.0.0.1:11434/v1",
        default_llm="gemini",
    )
    assert available_llms(settings) == ["offline", "claude", "gemini", "openai-compatible"]
    assert resolve_llm(None, None, settings) == "gemini"
    assert resolve_llm(None, "claude", settings) == "claude"
    assert resolve_llm("offline", "claude", settings) == "offline"
    with pytest.raises(UnknownLLMError):
        resolve_llm("openai", None, settings)


def test_fallback_chain_follows_the_configured_order() -> None:
    settings = make_settings(
        anthropic_api_key="a", google_api_key="g", openai_compatible_base_url="http://h/v1"
    )
    assert fallback_chain("claude", settings) == ["claude", "gemini", "offline"]
    assert fallback_chain("gemini", settings) == ["gemini", "offline"]
    assert fallback_chain("openai-compatible", settings) == [
        "openai-compatible",
        "claude",
        "gemini",
        "offline",
    ]
    assert fallback_chain("offline", settings) == ["offline"]
    custom = settings.model_copy(update={"llm_fallback_chain": ["gemini", "claude"]})
    assert fallback_chain("gemini", custom) == ["gemini", "claude", "offline"]
    assert create_chat_model("claude", settings).provider_names == ["claude", "gemini", "offline"]


def test_fallback_chain_setting_reads_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LLM_FALLBACK_CHAIN", "gemini, offline")
    assert Settings(_env_file=None).llm_fallback_chain == ["gemini", "offline"]  # type: ignore[call-arg]
    monkeypatch.setenv("LLM_FALLBACK_CHAIN", "gemini,gpt-2")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]


async def test_a_provider_that_stalls_mid_conversation_hands_the_next_turn_on() -> None:
    """Mid-call: the first turn is Claude's; Claude then stalls and OpenAI answers in time."""
    async with (
        FakeAnthropic(script=[Reply(text="Hello there.")]) as claude,
        FakeOpenAI(script=[Reply(text=ANSWER)]) as gpt,
    ):
        settings = make_settings(**claude_at(claude), **openai_at(gpt), llm_timeout_secs=1.0)
        graph = graph_for("claude", settings)
        said = [HumanMessage("hello")]
        first = await run_agent_turn(graph, CONTEXT, said, timeout_secs=10)
        claude.fail = "hang"  # connected, and never answers again
        started = time.monotonic()
        said += [AIMessage(first.text), HumanMessage("what time is it")]
        second = await run_agent_turn(graph, CONTEXT, said, timeout_secs=10)
        elapsed = time.monotonic() - started

    assert (first.llm_used, first.text) == ("claude", "Hello there.")
    assert (second.llm_used, second.text, second.error) == ("openai", ANSWER, None)
    print(f"\nLLM stalled mid-call: {second.llm_used} answered {elapsed:.1f} s later")
    assert elapsed < 10  # answered, not the turn's timeout apology
    assert len(claude.requests) == 2  # the stalled request was given up on, not repeated
