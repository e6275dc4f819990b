"""Sentry against a local endpoint: a call's transaction, its spans, measurements and events.

The app runs with ``SENTRY_DSN`` pointing at :class:`SentryRelay` on 127.0.0.1 and Claude
pointed at a fake Anthropic API whose first request hangs: the call's first turn times out
(apology), the second is answered by Claude.
"""

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from convonet.storage.seed import DEMO_PIN
from tests.conftest import LiveServer, connect
from tests.conftest import test_settings as settings_for
from tests.fakes.anthropic_api import FakeAnthropic
from tests.fakes.llm_server import Reply
from tests.fakes.observability import SentryRelay, ThreadedFake
from tests.fakes.speech import silence, synthesize
from tests.fakes.voice_client import VoiceClient

pytestmark = [pytest.mark.slow, pytest.mark.integration]

CLAUDE_ANSWER = "It is noon in the fake world."
# The turn's child spans, in the order they start (the stage table's names without "_ms").
STAGE_OPS = (
    "vad", "stt", "turn_detect", "agent", "llm_first_token",
    "first_sentence", "tts", "playout", "speaking",
)  # fmt: skip


@pytest.fixture
def relay() -> Iterator[SentryRelay]:
    relay = SentryRelay().start()
    yield relay
    relay.stop()


@pytest.fixture
def server(tmp_path: Path, relay: SentryRelay) -> Iterator[LiveServer]:
    claude = ThreadedFake(FakeAnthropic(fail="hang", fail_times=1, script=[Reply(CLAUDE_ANSWER)]))
    fake = claude.start()
    settings = settings_for(
        tmp_path,
        sentry_dsn=relay.dsn(),
        sentry_traces_sample_rate=1.0,
        anthropic_api_key=fake.api_key,
        anthropic_base_url=fake.base_url,
        agent_turn_timeout_secs=1.5,
    )
    live = LiveServer(settings)
    live.start()
    yield live
    live.stop()
    claude.stop()


async def _call_with_a_timeout_then_an_answer(server: LiveServer) -> tuple[str, str | None]:
    answer = await connect(server.url, llm="claude")
    session_id = str(answer["session_id"])
    async with VoiceClient(str(answer["ws_url"])) as client:
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 1, timeout=15)
        question = synthesize("What time is it?") + silence(1.5)
        await client.speak(question)
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 2, timeout=20)
        await client.speak(question)
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 3, timeout=20)
    spoken = " ".join(client.received.texts("bot-output"))
    assert "took too long" in spoken and CLAUDE_ANSWER in spoken, spoken
    session = await asyncio.wrap_future(
        asyncio.run_coroutine_threadsafe(server.runtime.store.get_session(session_id), server.loop)
    )
    return session_id, session.user_id


def _call_transaction(relay: SentryRelay) -> dict[str, Any]:
    def calls(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e for e in events if e["contexts"]["trace"].get("op") == "call"]

    (transaction,) = calls(relay.wait_for(lambda e: bool(calls(e)), "transaction", timeout=15))
    return transaction


def _parse_times(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spans with their ISO timestamps as seconds since the epoch."""
    return [
        {
            **s,
            "start_timestamp": _seconds(s["start_timestamp"]),
            "timestamp": _seconds(s["timestamp"]),
        }
        for s in spans
    ]


def _seconds(value: str | float) -> float:
    return value if isinstance(value, float) else datetime.fromisoformat(value).timestamp()


def _check_turn_spans(transaction: dict[str, Any]) -> None:
    spans = _parse_times(transaction["spans"])
    root = transaction["contexts"]["trace"]["span_id"]
    turns = sorted((s for s in spans if s["op"] == "turn"), key=lambda s: s["start_timestamp"])
    assert [t["description"] for t in turns] == ["turn 1", "turn 2"]
    assert all(t["parent_span_id"] == root for t in turns)
    for turn in turns:
        stages = {s["op"]: s for s in spans if s["parent_span_id"] == turn["span_id"]}
        assert set(stages) == set(STAGE_OPS), stages.keys()
        starts = [stages[op]["start_timestamp"] for op in STAGE_OPS]
        assert starts == sorted(starts), "stages out of order"
        for stage in stages.values():
            assert turn["start_timestamp"] <= stage["start_timestamp"] <= stage["timestamp"]
            assert stage["timestamp"] <= turn["timestamp"] + 1e-3
        assert turn["data"]["voice_to_voice_ms"] > 0
    first_agent, second_agent = (
        next(s for s in spans if s["op"] == "agent" and s["parent_span_id"] == t["span_id"])
        for t in turns
    )
    assert first_agent["status"] == "deadline_exceeded"
    assert (
        second_agent["data"]["llm"] == "claude"
        and second_agent.get("status") != "deadline_exceeded"
    )
    assert turns[0]["data"]["outcome"] == "timeout" and turns[1]["data"]["outcome"] == "ok"
    for turn, agent in zip(turns, (first_agent, second_agent), strict=True):
        first_token = next(
            s
            for s in spans
            if s["op"] == "llm_first_token" and s["parent_span_id"] == turn["span_id"]
        )
        assert first_token["start_timestamp"] == agent["start_timestamp"]
    assert sum(s["op"] == "greeting" for s in spans) == 1


def _check_linked_to_the_connection(relay: SentryRelay, transaction: dict[str, Any]) -> None:
    """The call's trace continues the /ws request's; health checks are never traced."""
    found = relay.wait_for(
        lambda ts: any(t["transaction"] == "/ws" for t in ts), "transaction", timeout=10
    )
    traced = {t["transaction"]: t for t in found}
    assert "/readyz" not in traced, "health checks must not be traced"
    connection = traced["/ws"]["contexts"]["trace"]
    assert transaction["contexts"]["trace"]["trace_id"] == connection["trace_id"]
    assert transaction["contexts"]["trace"]["parent_span_id"] == connection["span_id"]


def _check_events(relay: SentryRelay, session_id: str, user_id: str) -> None:
    """A timeout event with the call's context; logged errors have it too."""
    events = relay.wait_for(
        lambda found: "agent_timeout" in {e.get("tags", {}).get("event_kind") for e in found},
        "event",
        timeout=5,
    )
    ours = {e["tags"]["event_kind"]: e for e in events if "event_kind" in e.get("tags", {})}
    timeout = ours["agent_timeout"]
    assert timeout["message"] == "Agent turn timed out" and timeout["level"] == "warning"
    assert "exceeded 1.5s" in timeout["contexts"]["agent"]["error"]
    assert timeout["user"] == {"id": user_id}
    assert timeout["contexts"]["session"]["session_id"] == session_id
    assert timeout["tags"]["bot"] == "assistant"
    # pipecat logs the agent's error frame too; events logged inside the call name it.
    logged = [e for e in events if e.get("logger") and e.get("level") == "error"]
    assert logged and all(e["contexts"]["session"]["session_id"] == session_id for e in logged)


async def test_a_call_sends_its_transaction_measurements_and_timeout_events(
    server: LiveServer, relay: SentryRelay
) -> None:
    session_id, user_id = await _call_with_a_timeout_then_an_answer(server)
    assert user_id

    transaction = _call_transaction(relay)
    assert transaction["transaction"] == "websocket/assistant"
    assert transaction["user"] == {"id": user_id}
    assert transaction["contexts"]["session"]["session_id"] == session_id
    assert transaction["tags"]["llm"] == "claude" and transaction["tags"]["channel"] == "websocket"
    measurements = transaction["measurements"]
    for name in ("voice_to_voice_ms", "agent_ms", "stt_ms", "tts_ms", "greeting_ms"):
        assert 0 < measurements[name]["value"] < 10_000, (name, measurements)
        assert measurements[name]["unit"] == "millisecond"
    assert measurements["turns"]["value"] == 2
    _check_turn_spans(transaction)
    _check_linked_to_the_connection(relay, transaction)
    _check_events(relay, session_id, user_id)

    everything = json.dumps([e.items for e in relay.envelopes], default=str).lower()
    # In text only, as a standalone value: random hex ids (trace, session) may contain the
    # digits by chance, and so may numbers (a 1234.5 ms measurement, a payload length).
    texts = " ".join(_strings(json.loads(everything)))
    assert not re.search(rf"(?<![0-9a-f]){DEMO_PIN}(?![0-9a-f])", texts), "a PIN reached Sentry"
    assert "what time is it" not in everything and CLAUDE_ANSWER.lower() not in everything
    assert "token=" not in everything, "a connection token reached Sentry"


def _strings(value: object) -> list[str]:
    """Every string in a JSON value (keys included), numbers left out."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *_strings(item)]]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []
