"""The Agent Monitor and tool-execution APIs on the running app: access, filters, tool calls."""

import httpx
import pytest

from tests.conftest import LiveServer, connect, session_auth
from tests.monitor.conftest import demo_token, poll, token_for

pytestmark = pytest.mark.integration

API = (
    "/agent-monitor/api/stats",
    "/agent-monitor/api/stages",
    "/agent-monitor/api/interactions",
    "/agent-monitor/api/live",
    "/tool-execution/api/calls",
)


async def test_the_api_needs_a_supervisor_or_admin(live_app: LiveServer) -> None:
    user = token_for(live_app, ["user", "agent"])
    async with httpx.AsyncClient(base_url=live_app.url, timeout=10) as http:
        for path in API:
            assert (await http.get(path)).status_code == 401, path
            bad = await http.get(path, headers={"Authorization": "Bearer not-a-token"})
            assert bad.status_code == 401, path
            forbidden = await http.get(path, headers={"Authorization": f"Bearer {user}"})
            assert forbidden.status_code == 403, path
            assert "supervisor" in forbidden.json()["detail"]
        supervisor = {"Authorization": f"Bearer {token_for(live_app, ['supervisor'])}"}
        assert (await http.get(API[0], headers=supervisor)).status_code == 200
        for page in ("/agent-monitor", "/tool-execution", "/call-center"):  # they sign in
            html = await http.get(page)
            assert html.status_code == 200 and "login-form" in html.text


async def test_the_stage_table_is_served_in_turn_order(live_app: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {token_for(live_app, ['supervisor'])}"}
    async with httpx.AsyncClient(base_url=live_app.url, headers=headers, timeout=10) as http:
        rows = (await http.get("/agent-monitor/api/stages")).json()
    names = [row["name"] for row in rows]
    waterfall = [row["name"] for row in rows if row["waterfall"]]
    assert waterfall == [
        "vad_ms", "stt_ms", "turn_detect_ms", "llm_first_token_ms",
        "first_sentence_ms", "tts_ms", "playout_ms",
    ]  # fmt: skip
    assert {"voice_to_voice_ms", "agent_ms", "total_ms", "greeting_ms", "tools_ms"} <= set(names)
    v2v = rows[names.index("voice_to_voice_ms")]
    assert v2v["from"] == ["user_stopped_at"] and v2v["to"] == "bot_started_at"
    assert all(row["label"] and row["description"] for row in rows)


async def test_bad_parameters_are_refused_with_reasons(live_app: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {token_for(live_app, ['admin'])}"}
    refused = {
        ("/agent-monitor/api/stats", "window_s=1"): 422,
        ("/agent-monitor/api/stats", "llm=gpt-99"): 422,
        ("/agent-monitor/api/stats", "bot=no-such-bot"): 400,
        ("/agent-monitor/api/interactions", "limit=0"): 422,
        ("/agent-monitor/api/interactions", "cursor=abc"): 400,
        ("/agent-monitor/api/interactions", "session_id=a/b"): 422,
        ("/agent-monitor/api/interactions", "session_id=abc&cursor=1-0"): 400,
        ("/agent-monitor/api/interactions", "kind=video"): 422,
        ("/tool-execution/api/calls", "outcome=maybe"): 422,
        ("/tool-execution/api/calls", "limit=100000"): 422,
    }
    async with httpx.AsyncClient(base_url=live_app.url, headers=headers, timeout=10) as http:
        for (path, query), code in refused.items():
            response = await http.get(f"{path}?{query}")
            assert response.status_code == code, (path, query, response.text)
            assert response.json()["detail"], (path, query)


async def test_agent_process_tool_calls_appear_in_tool_execution(live_app: LiveServer) -> None:
    token = await demo_token(live_app.url)
    started = await connect(live_app.url)
    session_id, auth = str(started["session_id"]), session_auth(started)
    async with httpx.AsyncClient(base_url=live_app.url, headers=auth, timeout=30) as http:
        answer = await http.post(
            "/agent/process",
            json={"text": "add repot the basil to my to-do list", "session_id": session_id},
        )
    assert answer.status_code == 200, answer.text
    (made,) = answer.json()["tool_calls"]

    body = await poll(
        live_app.url, "/tool-execution/api/calls", token,
        lambda b: any(row["session_id"] == session_id for row in b["items"]),
        params={"tool": made["name"], "limit": 50},
    )  # fmt: skip
    row = next(row for row in body["items"] if row["session_id"] == session_id)
    assert row["name"] == "create_todo" and row["outcome"] == "ok"
    assert row["args"] == made["args"] and row["result"] == made["result"]
    assert row["elapsed_ms"] == made["elapsed_ms"] and row["kind"] == "text"
    assert "repot the basil" in row["summary"]
    assert all(item["name"] == "create_todo" for item in body["items"])

    turns = await poll(
        live_app.url, "/agent-monitor/api/interactions", token, lambda b: bool(b["items"]),
        params={"session_id": session_id},
    )  # fmt: skip
    (turn,) = turns["items"]
    assert turn["kind"] == "text" and turn["user_text"].startswith("add repot")
    assert turn["stages"]["agent_ms"] > 0 and turn["stages"]["tools_ms"] == made["elapsed_ms"]
    assert "voice_to_voice_ms" not in turn["stages"]
    assert turn["stages"]["total_ms"] == turn["stages"]["agent_ms"]
    assert turn["outcome"] == "ok" and turn["times"]["first_token_at"] is not None
    stats = await poll(
        live_app.url, "/agent-monitor/api/stats", token,
        lambda b: b["tools"].get("create_todo", {}).get("count", 0) >= 1,
    )  # fmt: skip
    assert set(stats["tools"]["create_todo"]) >= {"count", "errors", "timeouts", "p50_ms"}


async def test_interactions_page_through_the_stream(live_app: LiveServer) -> None:
    token = await demo_token(live_app.url)
    started = await connect(live_app.url)
    session_id, auth = str(started["session_id"]), session_auth(started)
    async with httpx.AsyncClient(base_url=live_app.url, headers=auth, timeout=30) as http:
        for text in ("what time is it", "what's the date today", "hello"):
            answer = await http.post(
                "/agent/process", json={"text": text, "session_id": session_id}
            )
            assert answer.status_code == 200, answer.text
    first = await poll(
        live_app.url, "/agent-monitor/api/interactions", token,
        lambda b: [t["session_id"] for t in b["items"]].count(session_id) == 2,
        params={"kind": "text", "limit": 2},
    )  # fmt: skip
    assert [t["user_text"] for t in first["items"]] == ["hello", "what's the date today"]
    assert first["next_cursor"]
    older = await poll(
        live_app.url, "/agent-monitor/api/interactions", token, lambda b: True,
        params={"kind": "text", "limit": 2, "cursor": first["next_cursor"]},
    )  # fmt: skip
    assert older["items"][0]["user_text"] == "what time is it"
    by_session = await poll(
        live_app.url, "/agent-monitor/api/interactions", token, lambda b: True,
        params={"session_id": session_id, "limit": 2, "cursor": "2"},
    )  # fmt: skip
    assert [t["user_text"] for t in by_session["items"]] == ["what time is it"]
    assert by_session["next_cursor"] is None


async def test_only_the_call_center_page_may_connect_to_the_sip_server(
    live_app: LiveServer,
) -> None:
    sip = live_app.runtime.settings.sip_ws_url  # ws://127.0.0.1:5066 in tests
    async with httpx.AsyncClient(base_url=live_app.url, timeout=10) as http:
        softphone = (await http.get("/call-center")).headers["content-security-policy"]
        monitor = (await http.get("/agent-monitor")).headers["content-security-policy"]
    assert f"connect-src 'self' {sip};" in softphone
    assert "frame-ancestors 'none'" in softphone and "script-src 'self' blob:" in softphone
    assert sip not in monitor
