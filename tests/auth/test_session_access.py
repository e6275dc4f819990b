"""Issue 15.2/15.7: session ids are not credentials; tokens end with their user and call."""

import asyncio
from typing import Any

import httpx

from convonet.storage.seed import DEMO_EMAIL, DEMO_PASSWORD
from convonet.storage.users import create_user, require_by_email
from tests.conftest import LiveServer, connect


def _on_server(live_app: LiveServer, coroutine: Any) -> Any:
    return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, live_app.loop))


async def test_a_session_id_alone_is_not_a_credential(live_app: LiveServer) -> None:
    started = await connect(live_app.url)
    session_id, token = str(started["session_id"]), str(started["session_token"])
    assert token and token != session_id and token != started["token"]
    async with httpx.AsyncClient(base_url=live_app.url, timeout=30) as http:
        alone = await http.post("/agent/process", json={"text": "hi", "session_id": session_id})
        assert alone.status_code == 401
        wrong = await http.post(
            "/agent/process",
            json={"text": "hi", "session_id": session_id},
            headers={"Authorization": "Bearer not-the-session-token"},
        )
        assert wrong.status_code == 401
        other = await connect(live_app.url)  # another session's token does not open this one
        swapped = await http.post(
            "/agent/process",
            json={"text": "hi", "session_id": session_id},
            headers={"Authorization": f"Bearer {other['session_token']}"},
        )
        assert swapped.status_code == 403
        ok = await http.post(
            "/agent/process",
            json={"text": "what time is it", "session_id": session_id},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert ok.status_code == 200, ok.text
        assert token not in ok.text


async def test_text_access_ends_when_the_call_ends(live_app: LiveServer) -> None:
    started = await connect(live_app.url)
    session_id, token = str(started["session_id"]), str(started["session_token"])
    runtime = live_app.runtime
    call = await _on_server(live_app, runtime.load_session(session_id, "websocket"))
    await _on_server(live_app, runtime.live.run(call, asyncio.sleep(0)))  # the call runs, ends
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        after = await http.post(
            "/agent/process",
            json={"text": "hi", "session_id": session_id},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert after.status_code == 401


async def test_text_access_ends_when_the_text_session_says_goodbye(live_app: LiveServer) -> None:
    started = await connect(live_app.url)
    body = {"session_id": started["session_id"]}
    auth = {"Authorization": f"Bearer {started['session_token']}"}
    async with httpx.AsyncClient(base_url=live_app.url, headers=auth, timeout=30) as http:
        bye = await http.post("/agent/process", json={**body, "text": "goodbye"})
        assert bye.status_code == 200, bye.text
        assert bye.json()["ended"] is True
        after = await http.post("/agent/process", json={**body, "text": "what time is it"})
    assert after.status_code == 401


async def _login(http: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await http.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_disabled_users_access_token_stops_working(live_app: LiveServer) -> None:
    async def add_user() -> None:
        async with live_app.runtime.db.session() as session:
            await create_user(
                session,
                pin_secret=live_app.settings.pin_hash_secret,
                email="leaver@example.com",
                name="Leaver",
                password="a-good-password",
            )

    async def disable() -> None:
        async with live_app.runtime.db.session() as session:
            (await require_by_email(session, "leaver@example.com")).is_active = False

    await _on_server(live_app, add_user())
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        tokens = await _login(http, "leaver@example.com", "a-good-password")
        await _on_server(live_app, disable())
        me = await http.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
    assert me.status_code == 401


async def test_refresh_tokens_rotate_and_reuse_revokes_the_family(live_app: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        first = await _login(http, DEMO_EMAIL, DEMO_PASSWORD)
        second = await http.post(
            "/api/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert second.status_code == 200
        assert second.json()["refresh_token"] != first["refresh_token"]
        reused = await http.post(
            "/api/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert reused.status_code == 401
        # The reuse revoked the whole family: the rotated token is dead too.
        rotated = await http.post(
            "/api/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}
        )
        assert rotated.status_code == 401
        # A fresh login starts a new family.
        fresh = await _login(http, DEMO_EMAIL, DEMO_PASSWORD)
        renewed = await http.post(
            "/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]}
        )
        assert renewed.status_code == 200
