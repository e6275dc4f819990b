"""``/api/connect`` PIN sign-in and ``/api/auth`` JWTs over real HTTP."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from convonet.auth.deps import SupervisorUser, require_team_member
from convonet.auth.tokens import issue_token, verify_token
from convonet.errors import AuthenticationError
from convonet.settings import Settings
from convonet.storage.seed import DEMO_EMAIL, DEMO_PASSWORD, DEMO_PIN
from tests.conftest import LiveServer, test_settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def lockout_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own, so locking out 127.0.0.1 does not disturb other tests."""
    server = LiveServer(test_settings(tmp_path_factory.mktemp("lockout")))
    server.start()
    yield server
    server.stop()


async def test_connect_signs_in_and_greets_by_name(live_app: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        ok = await http.post("/api/connect", json={"pin": DEMO_PIN})
    assert ok.status_code == 200
    body = ok.json()
    assert body["user_name"] == "Demo User"
    assert body["ws_url"].endswith(f"/ws?token={body['token']}")
    stored = await live_app_session(live_app, body["session_id"])
    assert stored is not None and stored.user_name == "Demo User"


async def live_app_session(live_app: LiveServer, session_id: str):  # type: ignore[no-untyped-def]
    import asyncio

    future = asyncio.run_coroutine_threadsafe(
        live_app.runtime.store.get_session(session_id), live_app.loop
    )
    return await asyncio.wrap_future(future)


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"pin": "0000"}, 401, "wrong PIN"),
        ({"pin": "abcd"}, 401, "wrong PIN"),
        ({"pin": "1" * 10_000}, 422, "pin"),
        ({}, 422, "pin"),
        ({"pin": ""}, 422, "pin"),
        ({"pin": "'; DROP TABLE users; --"}, 401, "wrong PIN"),
    ],
)
async def test_bad_pins_get_clear_errors(
    live_app: LiveServer, body: dict[str, str], status: int, detail: str
) -> None:
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        response = await http.post("/api/connect", json=body)
    assert response.status_code == status
    assert detail in response.text


async def test_lockout_answers_429_with_retry_after(lockout_app: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=lockout_app.url) as http:
        for _ in range(5):
            assert (await http.post("/api/connect", json={"pin": "9999"})).status_code == 401
        locked = await http.post("/api/connect", json={"pin": DEMO_PIN})
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 900


async def test_jwt_login_refresh_and_me(live_app: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        wrong = await http.post("/api/auth/login", json={"email": DEMO_EMAIL, "password": "nope"})
        assert wrong.status_code == 401
        tokens = (
            await http.post(
                "/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
            )
        ).json()
        assert tokens["token_type"] == "bearer"
        me = await http.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert me.status_code == 200
        claims = me.json()
        assert claims["email"] == DEMO_EMAIL and "admin" in claims["roles"]
        assert claims["type"] == "access" and claims["exp"] - claims["iat"] == 30 * 60
        assert claims["team_id"]

        as_access = await http.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
        )
        assert as_access.status_code == 401 and "refresh token" in as_access.text
        renewed = await http.post(
            "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert renewed.status_code == 200
        reused_access = await http.post(
            "/api/auth/refresh", json={"refresh_token": tokens["access_token"]}
        )
        assert reused_access.status_code == 401
        missing = await http.get("/api/auth/me")
        assert missing.status_code == 401


def test_forged_and_expired_tokens_are_refused(tmp_path: Path) -> None:
    settings = test_settings(tmp_path)
    other = test_settings(tmp_path, jwt_secret="another-secret-entirely-and-long-enough")
    fields = {"user_id": "u1", "email": "a@b.c", "roles": ["user"], "team_id": None}
    forged = issue_token(other, kind="access", **fields)  # type: ignore[arg-type]
    with pytest.raises(AuthenticationError, match="invalid"):
        verify_token(settings, forged, kind="access")
    old = issue_token(settings, kind="access", now=1_000_000, **fields)  # type: ignore[arg-type]
    with pytest.raises(AuthenticationError, match="expired"):
        verify_token(settings, old, kind="access")
    with pytest.raises(AuthenticationError):
        verify_token(settings, "not.a.jwt", kind="access")
    refresh = issue_token(settings, kind="refresh", **fields)  # type: ignore[arg-type]
    assert verify_token(settings, refresh, kind="refresh").exp - 7 * 24 * 3600 > 0


def test_role_dependency_admits_only_the_role(tmp_path: Path) -> None:
    settings = test_settings(tmp_path)
    app = FastAPI()

    class _ActiveUsers:
        async def is_active(self, user_id: str) -> bool:
            return user_id == "u1"  # the only user this app knows

    class _Runtime:
        def __init__(self, settings: Settings) -> None:
            self.settings = settings
            self.active_users = _ActiveUsers()

    app.state.runtime = _Runtime(settings)

    @app.get("/supervise")
    async def supervise(claims: SupervisorUser) -> dict[str, str]:
        return {"user": claims.user_id}

    def token(roles: list[str]) -> dict[str, str]:
        value = issue_token(
            settings, user_id="u1", email="a@b.c", roles=roles, team_id=None, kind="access"
        )
        return {"Authorization": f"Bearer {value}"}

    client = TestClient(app)
    assert client.get("/supervise", headers=token(["user"])).status_code == 403
    assert "supervisor" in client.get("/supervise", headers=token(["agent"])).text
    assert client.get("/supervise", headers=token(["supervisor"])).status_code == 200
    assert client.get("/supervise", headers=token(["admin"])).status_code == 200
    assert Depends(require_team_member) is not None


def test_placeholder_secrets_are_refused_in_production(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="JWT_SECRET"):
        test_settings(tmp_path, environment="production", pin_hash_secret="real-secret-value")
    with pytest.raises(ValueError, match="32"):
        test_settings(
            tmp_path, environment="production", pin_hash_secret="p" * 32, jwt_secret="short"
        )
    with pytest.raises(ValueError, match="PIN_HASH_SECRET"):
        test_settings(tmp_path, environment="production", jwt_secret="real-secret-value")
    assert (
        test_settings(
            tmp_path, environment="production", jwt_secret="s1" * 16, pin_hash_secret="s2" * 16
        ).environment
        == "production"
    )


async def test_concurrent_logins_each_get_their_own_single_use_token(live_app: LiveServer) -> None:
    import asyncio

    async with httpx.AsyncClient(base_url=live_app.url) as http:
        answers = await asyncio.gather(
            *(http.post("/api/connect", json={"pin": DEMO_PIN}) for _ in range(8))
        )
    assert [a.status_code for a in answers] == [200] * 8
    tokens = {a.json()["token"] for a in answers}
    sessions = {a.json()["session_id"] for a in answers}
    assert len(tokens) == 8 and len(sessions) == 8
