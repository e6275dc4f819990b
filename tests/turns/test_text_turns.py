"""Text turns (``convonet chat``, ``/agent/process``) give the same Turn to the same listeners."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sentry_sdk

from convonet.agents.graph import build_agent_graph
from convonet.conversation.chat import TextConversation
from convonet.observability.sentry_turns import SentryTurnEvents
from convonet.runtime import open_runtime
from convonet.turns.listeners import TurnListeners
from convonet.turns.stages import STAGES
from tests.conftest import test_settings as settings_for
from tests.fakes.chat_models import SlowStreamingChatModel
from tests.fakes.observability import SentryRelay, parse_exposition, value


@pytest.fixture
def relay() -> Iterator[SentryRelay]:
    relay = SentryRelay().start()
    yield relay
    relay.stop()


async def test_each_listener_gets_the_text_turn(tmp_path: Path, relay: SentryRelay) -> None:
    settings = settings_for(tmp_path, tools_enabled=False, agent_turn_timeout_secs=1.5)
    client = sentry_sdk.Client(dsn=relay.dsn(), default_integrations=False)
    async with open_runtime(settings) as runtime:
        session = runtime.new_session("text", user_id="u-42")
        listeners = TurnListeners([runtime.monitor, runtime.metrics, SentryTurnEvents()])
        conversation = TextConversation(runtime, session, listeners)
        with sentry_sdk.new_scope() as scope:
            scope.set_client(client)
            answered = await conversation.say("hello")
            hanging = build_agent_graph(SlowStreamingChatModel(tokens=1, delay=30), {"general": []})
            runtime.agents.graph = lambda _llm: hanging  # type: ignore[method-assign]
            apology = await conversation.say("are you there?")
        await runtime.monitor.flush()
        stored = await runtime.store.session_turns(session.session_id)
        samples = parse_exposition(runtime.metrics.render().decode())
    client.flush(5)

    # The Agent Monitor's store.
    assert [(t.kind, t.index, t.outcome) for t in stored] == [
        ("text", 1, "ok"),
        ("text", 2, "timeout"),
    ]
    ok = stored[0]
    assert ok.bot_text == answered.text and ok.user_text == "hello" and ok.user_id == "u-42"
    assert set(ok.stages) == {"llm_first_token_ms", "agent_ms", "total_ms"} <= set(STAGES)
    assert ok.stages["total_ms"] == ok.stages["agent_ms"] == answered.elapsed_ms
    assert stored[1].bot_text == apology.text and stored[1].timed_out
    # Prometheus.
    labels = {"channel": "text", "bot": "assistant", "llm": "offline"}
    assert value(samples, "convonet_turns_total", **labels, outcome="ok") == 1
    assert value(samples, "convonet_turns_total", **labels, outcome="timeout") == 1
    stage = {"stage": "agent", "channel": "text"}
    assert value(samples, "convonet_stage_latency_seconds_count", **stage) == 2
    # Sentry: the timeout only, with the user and session but none of the text.
    (event,) = relay.wait_for(lambda found: len(found) >= 1, "event", timeout=5)
    assert event["tags"]["event_kind"] == "agent_timeout"
    assert event["user"] == {"id": "u-42"}
    assert event["contexts"]["session"]["session_id"] == session.session_id
    assert "are you there" not in str(event) and apology.text not in str(event)
