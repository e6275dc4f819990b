"""A real spoken turn over ``/ws`` produces a complete, sensible turn record.

It has the same fields and stage names as a text turn of the same session.
"""

import time
from typing import Any

import httpx
import pytest

from convonet.turns.stages import STAGES, WATERFALL_STAGES
from tests.conftest import LiveServer, connect, session_auth
from tests.fakes.speech import silence, synthesize
from tests.fakes.voice_client import VoiceClient
from tests.monitor.conftest import demo_token, poll

pytestmark = [pytest.mark.slow, pytest.mark.integration]

CHAIN = (
    "user_stopped_at",
    "vad_stopped_at",
    "stt_final_at",
    "agent_start_at",
    "first_token_at",
    "first_sentence_at",
    "first_audio_at",
    "bot_started_at",
    "turn_end_at",
)


def _voice_turns(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [turn for turn in body["items"] if turn["kind"] == "voice"]


async def _spoken_turn(live_app: LiveServer) -> tuple[str, float, float]:
    """One call with one question; returns (session id, speech end, bot-started arrival)."""
    answer = await connect(live_app.url)
    speech = synthesize("What time is it?")
    async with VoiceClient(str(answer["ws_url"])) as client:
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 1, timeout=15)
        asked = time.monotonic()
        await client.speak(speech + silence(1.5))
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 2, timeout=20)
    started = [t for t, m in client.received.messages if m["type"] == "bot-started-speaking"]
    speech_end = asked + len(speech) / 2 / client.sample_rate
    return str(answer["session_id"]), speech_end, started[-1]


async def test_spoken_turn_has_monotonic_stages_and_is_served(live_app: LiveServer) -> None:
    session_id, speech_end, heard_reply = await _spoken_turn(live_app)
    token = await demo_token(live_app.url)
    body = await poll(
        live_app.url, "/agent-monitor/api/interactions", token,
        lambda b: len(b["items"]) >= 2 and bool(_voice_turns(b)),
        params={"session_id": session_id},
    )  # fmt: skip

    greeting, turn = body["items"][-1], _voice_turns(body)[0]
    assert greeting["kind"] == "greeting" and greeting["index"] == 0
    assert 0 < greeting["stages"]["greeting_ms"] < 3000, greeting["stages"]
    assert turn["index"] == 1 and turn["channel"] == "websocket" and turn["bot"] == "assistant"
    assert "time" in turn["user_text"].lower() and turn["bot_text"].startswith("It's")
    assert turn["llm_used"] == "offline" and turn["tool_calls"] == []
    assert turn["end_reason"] == "completed" and turn["interrupted"] is False
    times = turn["times"]
    moments = [times[name] for name in CHAIN]
    assert None not in moments, times
    assert moments == sorted(moments), f"stages out of order: {times}"
    stages = turn["stages"]
    # Voice-to-voice is the sum of the stages between the end of speech and the bot speaking.
    parts = sum(stages[stage] for stage in WATERFALL_STAGES)
    assert abs(parts - stages["voice_to_voice_ms"]) < 1, stages
    assert 0 < stages["stt_ms"] < 3000 and 0 < stages["tts_ms"] < 3000
    assert 0 < stages["agent_ms"] < 2000 and stages["speaking_ms"] > 300
    # The caller's own clock agrees: speech ended -> bot-started-speaking arrived.
    heard_ms = (heard_reply - speech_end) * 1000
    assert abs(heard_ms - stages["voice_to_voice_ms"]) < 400, (heard_ms, stages)

    stats = await poll(
        live_app.url, "/agent-monitor/api/stats", token,
        lambda b: b["stages"].get("voice_to_voice_ms", {}).get("count", 0) >= 1,
        params={"window_s": 600, "bot": "assistant"},
    )  # fmt: skip
    v2v = stats["stages"]["voice_to_voice_ms"]
    assert set(v2v) == {"p50", "p95", "max", "count"}
    assert 0 < v2v["p50"] <= v2v["p95"] <= v2v["max"]
    assert stats["turns"] >= 1 and stats["sessions"] >= 1 and stats["greetings"] >= 1
    assert {"stt_ms", "agent_ms", "tts_ms", "voice_to_voice_ms"} <= set(stats["stages"])
    recent = await poll(
        live_app.url, "/agent-monitor/api/interactions", token,
        lambda b: any(t["turn_id"] == turn["turn_id"] for t in b["items"]),
        params={"kind": "voice", "limit": 200},
    )  # fmt: skip
    assert all(t["kind"] == "voice" for t in recent["items"])


async def test_voice_and_text_turns_share_one_record_and_stage_table(live_app: LiveServer) -> None:
    voice_session, _, _ = await _spoken_turn(live_app)
    started = await connect(live_app.url)
    async with httpx.AsyncClient(base_url=live_app.url, timeout=30) as http:
        answer = await http.post(
            "/agent/process",
            json={"text": "what time is it", "session_id": started["session_id"]},
            headers=session_auth(started),
        )
    assert answer.status_code == 200, answer.text
    token = await demo_token(live_app.url)

    async def turn_of(session_id: str, kind: str) -> dict[str, Any]:
        body = await poll(
            live_app.url, "/agent-monitor/api/interactions", token,
            lambda b: any(t["kind"] == kind for t in b["items"]),
            params={"session_id": session_id},
        )  # fmt: skip
        return next(t for t in body["items"] if t["kind"] == kind)

    voice = await turn_of(voice_session, "voice")
    text = await turn_of(str(started["session_id"]), "text")
    assert set(voice) == set(text) and set(voice["times"]) == set(text["times"])
    assert set(voice["stages"]) <= set(STAGES) and set(text["stages"]) <= set(STAGES)
    # The agent's stages mean the same in both: measured from the same moments.
    for turn in (voice, text):
        times, stages = turn["times"], turn["stages"]
        agent_ms = (times["agent_end_at"] - times["agent_start_at"]) * 1000
        first_token_ms = (times["first_token_at"] - times["agent_start_at"]) * 1000
        assert abs(stages["agent_ms"] - agent_ms) < 0.2 and turn["outcome"] == "ok"
        assert abs(stages["llm_first_token_ms"] - first_token_ms) < 0.2
        assert turn["bot_text"].startswith("It's")
