"""``GET /metrics`` on a running app: a real spoken turn, text tool calls, a provider fallback.

The app runs on embedded defaults, plus Claude pointed at a local fake Anthropic API that
answers every request with HTTP 500, so sessions asking for Claude fall back to offline.
"""

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, connect, session_auth
from tests.conftest import test_settings as settings_for
from tests.fakes.anthropic_api import FakeAnthropic
from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.observability import Samples, ThreadedFake, scrape, value
from tests.fakes.speech import silence, synthesize
from tests.fakes.voice_client import VoiceClient

pytestmark = [pytest.mark.slow, pytest.mark.integration]

# Stage-table names without "_ms" (convonet.turns.stages).
STAGES = ("vad", "stt", "llm_first_token", "tts", "voice_to_voice", "agent", "speaking", "total")


@pytest.fixture(scope="module")
def failing_claude() -> Iterator[FakeLLMServer]:
    runner = ThreadedFake(FakeAnthropic(fail=500))
    yield runner.start()
    runner.stop()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, failing_claude: FakeLLMServer
) -> Iterator[LiveServer]:
    settings = settings_for(
        tmp_path_factory.mktemp("metrics"),
        auth_max_failures=1000,
        anthropic_api_key=failing_claude.api_key,
        anthropic_base_url=failing_claude.base_url,
    )
    live = LiveServer(settings)
    live.start()
    yield live
    live.stop()


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def _scrape_until(url: str, done: Callable[[Samples], bool], timeout: float = 10) -> Samples:
    """Scrape until ``done`` holds (the pipeline finishes its last turn as the call ends)."""
    for _ in range(int(timeout / 0.1)):
        if done(samples := await scrape(url)):
            return samples
        await asyncio.sleep(0.1)
    raise AssertionError(f"metrics never reached the expected state: {samples}")


async def _process(
    url: str, started: dict[str, Any], text: str, llm: str | None = None
) -> dict[str, Any]:
    """A text turn on the session ``started`` (``/api/connect``'s answer) opened."""
    session_id = started["session_id"]
    async with httpx.AsyncClient(base_url=url, timeout=30, headers=session_auth(started)) as http:
        body = {"text": text, "session_id": session_id, **({"llm": llm} if llm else {})}
        response = await http.post("/agent/process", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_spoken_turn_and_text_tool_calls_appear_in_metrics(server: LiveServer) -> None:
    before = await scrape(server.url)
    answer = await connect(server.url)
    async with VoiceClient(str(answer["ws_url"])) as client:
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 1, timeout=15)
        during = await scrape(server.url)
        await client.speak(synthesize("Add buy milk to my to-do list.") + silence(1.5))
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 2, timeout=25)
    assert value(during, "convonet_active_sessions", channel="websocket") == 1

    text_session = await connect(server.url)
    reply = await _process(server.url, text_session, "add water the ferns to my to-do list")
    assert [c["name"] for c in reply["tool_calls"]] == ["create_todo"]

    voice_turn = {"channel": "websocket", "bot": "assistant", "llm": "offline", "outcome": "ok"}
    after = await _scrape_until(
        server.url,
        lambda s: (
            delta(before, s, "convonet_turns_total", **voice_turn) >= 1
            and value(s, "convonet_active_sessions", channel="websocket") == 0
        ),
    )
    assert delta(before, after, "convonet_turns_total", **voice_turn) == 1
    assert delta(before, after, "convonet_calls_total", channel="websocket", bot="assistant") == 1
    for stage in STAGES:
        labels = {"stage": stage, "channel": "websocket"}
        assert delta(before, after, "convonet_stage_latency_seconds_count", **labels) == 1, stage
    seconds = {
        stage: delta(
            before, after, "convonet_stage_latency_seconds_sum", stage=stage, channel="websocket"
        )
        for stage in STAGES
    }
    assert all(s > 0 for s in seconds.values()), seconds
    # Stages nest: the agent's first token and the STT fit inside voice-to-voice, which
    # fits inside the whole turn (which includes the bot speaking its answer).
    assert seconds["llm_first_token"] <= seconds["agent"]
    parts = seconds["vad"] + seconds["stt"] + seconds["llm_first_token"] + seconds["tts"]
    assert parts < seconds["voice_to_voice"] < seconds["total"] < 15
    assert abs(seconds["total"] - seconds["voice_to_voice"] - seconds["speaking"]) < 1e-3
    greeting = delta(before, after, "convonet_greeting_latency_seconds_sum", channel="websocket")
    assert 0 < greeting < 2.0
    assert delta(before, after, "convonet_greeting_latency_seconds_count", channel="websocket") == 1

    text_turn = {**voice_turn, "channel": "text"}
    assert delta(before, after, "convonet_turns_total", **text_turn) == 1
    ok_todo = {"tool": "create_todo", "outcome": "ok"}
    assert delta(before, after, "convonet_tool_calls_total", **ok_todo) == 2  # voice + text
    assert (
        delta(before, after, "convonet_tool_call_duration_seconds_count", tool="create_todo") == 2
    )
    assert (
        delta(before, after, "convonet_interruptions_total", channel="websocket", bot="assistant")
        == 0
    )
    answered = {"provider": "offline", "outcome": "answered"}
    assert delta(before, after, "convonet_llm_requests_total", **answered) >= 2
    # The caller's turn ended at a VAD stop, judged by smart-turn (by the words instead, if a
    # loaded test machine made the verdict late): each judgement counted once.
    judged = {
        v: delta(before, after, "convonet_turn_verdicts_total", verdict=v)
        for v in ("model", "shed", "late")
    }
    assert sum(judged.values()) >= 1 and all(n >= 0 for n in judged.values()), judged
    assert ("convonet_event_loop_lag_seconds", frozenset()) in after
    assert 0 <= value(after, "convonet_event_loop_lag_seconds") < 1.0


async def test_a_provider_fallback_increments_the_fallback_counter(
    server: LiveServer, failing_claude: FakeLLMServer
) -> None:
    before = await scrape(server.url)
    failed_before = len(failing_claude.requests)
    started = await connect(server.url)

    reply = await _process(server.url, started, "what time is it", llm="claude")

    assert reply["llm_used"] == "offline" and reply["response"].startswith("It's")
    claude_failures = len(failing_claude.requests) - failed_before
    assert claude_failures >= 1
    after = await scrape(server.url)
    pair = {"from": "claude", "to": "offline"}
    assert delta(before, after, "convonet_llm_fallbacks_total", **pair) == claude_failures
    server_errors = {"provider": "claude", "outcome": "server"}
    assert delta(before, after, "convonet_llm_requests_total", **server_errors) == claude_failures
    turn = {"channel": "text", "bot": "assistant", "llm": "offline", "outcome": "ok"}
    assert delta(before, after, "convonet_turns_total", **turn) == 1
