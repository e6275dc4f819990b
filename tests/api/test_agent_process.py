"""``POST /agent/process`` against the running app, with the real MCP tool servers."""

import asyncio

import httpx
import pytest
from sqlalchemy import select

from convonet.auth.tokens import issue_token
from convonet.domains.productivity.models import Todo
from convonet.storage.models import Call
from convonet.storage.redis import Keys
from convonet.storage.seed import DEMO_EMAIL, DEMO_PASSWORD
from tests.conftest import LiveServer, connect, session_auth

pytestmark = pytest.mark.integration


async def _on_server(live_app: LiveServer, coro):  # type: ignore[no-untyped-def]
    """Run ``coro`` on the server's loop (its database engine lives there)."""
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, live_app.loop))


async def _todo_titles(live_app: LiveServer) -> list[str]:
    async def query() -> list[str]:
        async with live_app.runtime.db.session() as session:
            return list((await session.scalars(select(Todo.title))).all())

    return await _on_server(live_app, query())


async def test_a_spoken_request_runs_the_tool_and_answers(live_app: LiveServer) -> None:
    started = await connect(live_app.url)
    session_id, auth = str(started["session_id"]), session_auth(started)
    async with httpx.AsyncClient(base_url=live_app.url, headers=auth, timeout=30) as http:
        answer = await http.post(
            "/agent/process",
            json={"text": "add water the ferns to my to-do list", "session_id": session_id},
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["response"] == "Added water the ferns to your to-do list."
    (call,) = body["tool_calls"]
    assert call["name"] == "create_todo" and call["outcome"] == "ok"
    assert call["args"]["title"] == "water the ferns"
    assert call["result"]["todo"]["title"] == "water the ferns"
    assert call["elapsed_ms"] > 0 and body["timing"]["total_ms"] >= call["elapsed_ms"]
    assert body["llm_used"] == "offline" and body["transfer"] is None
    assert "water the ferns" in await _todo_titles(live_app)


async def test_consecutive_calls_are_one_conversation(live_app: LiveServer) -> None:
    started = await connect(live_app.url)
    session_id, auth = str(started["session_id"]), session_auth(started)
    async with httpx.AsyncClient(base_url=live_app.url, headers=auth, timeout=30) as http:
        first = (
            await http.post(
                "/agent/process", json={"text": "remind me to call mom", "session_id": session_id}
            )
        ).json()
        assert first["tool_calls"] == [] and "date and time" in first["response"]
        second = (
            await http.post(
                "/agent/process", json={"text": "tomorrow at nine", "session_id": session_id}
            )
        ).json()
    assert [c["name"] for c in second["tool_calls"]] == ["create_reminder"]
    assert second["tool_calls"][0]["args"]["title"] == "call mom"


async def _call_row(server: LiveServer, session_id: str) -> Call | None:
    async with server.runtime.db.session() as db:
        return await db.scalar(select(Call).where(Call.session_id == session_id))


async def test_a_transfer_appears_as_tool_call_and_transfer(live_app: LiveServer) -> None:
    started = await connect(live_app.url)
    session_id, auth = str(started["session_id"]), session_auth(started)
    async with httpx.AsyncClient(base_url=live_app.url, headers=auth, timeout=30) as http:
        body = (
            await http.post(
                "/agent/process",
                json={"text": "I want to talk to a real person", "session_id": session_id},
            )
        ).json()
    call_sid = body["transfer"]["call_sid"]
    assert call_sid.startswith("text-")
    assert body["transfer"] == {
        "department": "support",
        "extension": "2001",
        "status": "initiated",
        "call_sid": call_sid,
    }
    assert [c["name"] for c in body["tool_calls"]] == ["transfer_to_agent"]
    record = await _on_server(live_app, live_app.runtime.store.get_transfer(session_id))
    assert record is not None and (record.extension, record.call_sid) == ("2001", call_sid)
    key = Keys.callcenter_customer("2001", call_sid)
    context = await _on_server(live_app, live_app.runtime.store.redis.get(key))
    assert context is not None and session_id in context
    row = await _on_server(live_app, _call_row(live_app, session_id))
    assert row is not None and row.transfer_outcome == "requested" and row.call_sid == call_sid
    assert row.transcript[0]["text"] == "I want to talk to a real person"
    assert "real person" in (row.summary or "")


async def test_a_user_jwt_works_without_a_session(live_app: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_app.url, timeout=30) as http:
        tokens = (
            await http.post(
                "/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
            )
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        body = (
            await http.post("/agent/process", json={"text": "what's on my list"}, headers=headers)
        ).json()
    assert body["session_id"]
    assert body["tool_calls"][0]["name"] == "get_todos"
    assert "to-do" in body["response"]


@pytest.mark.parametrize(
    ("payload", "headers", "status"),
    [
        ({"text": "hello"}, {}, 401),
        ({"text": "hello", "session_id": "0" * 32}, {}, 404),
        ({"text": "hello"}, {"Authorization": "Bearer forged.jwt.value"}, 401),
        ({"text": ""}, {}, 422),
        ({"text": "x" * 5000}, {}, 422),
    ],
)
async def test_bad_requests_get_clear_errors(
    live_app: LiveServer, payload: dict[str, str], headers: dict[str, str], status: int
) -> None:
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        response = await http.post("/agent/process", json=payload, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


async def test_unknown_llm_for_a_turn_is_a_400(live_app: LiveServer) -> None:
    started = await connect(live_app.url)
    session_id, auth = str(started["session_id"]), session_auth(started)
    async with httpx.AsyncClient(base_url=live_app.url, headers=auth) as http:
        response = await http.post(
            "/agent/process", json={"text": "hi", "session_id": session_id, "llm": "nope"}
        )
    assert response.status_code == 400 and "nope" in response.json()["detail"]


async def test_another_users_session_is_forbidden(live_app: LiveServer) -> None:
    session_id = str((await connect(live_app.url))["session_id"])  # the demo user's
    token = issue_token(
        live_app.settings,
        user_id="someone-else",
        email="mallory@example.com",
        roles=["user"],
        team_id=None,
        kind="access",
    )
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        response = await http.post(
            "/agent/process",
            json={"text": "what's on my list", "session_id": session_id},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 403
