"""Helpers of the Agent Monitor tests: tokens for each role, polling the monitor's API."""

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from tests.conftest import LiveServer

from convonet.auth.tokens import issue_token
from convonet.storage.seed import DEMO_EMAIL, DEMO_PASSWORD
from convonet.storage.users import create_user, get_by_email


def token_for(server: "LiveServer", roles: list[str]) -> str:
    """An access token for an active user of ``server`` holding ``roles`` (made if needed).

    Tokens of users that do not exist are refused, so the user is created first.
    """
    settings = server.runtime.settings
    email = f"{'-'.join(roles)}@monitor.test"

    async def ensure_user() -> str:
        async with server.runtime.db.session() as session:
            user = await get_by_email(session, email)
            if user is None:
                user = await create_user(
                    session, pin_secret=settings.pin_hash_secret, email=email,
                    name="Monitor Test", roles=roles,
                )  # fmt: skip
            return user.id

    user_id = asyncio.run_coroutine_threadsafe(ensure_user(), server.loop).result(30)
    return issue_token(
        settings, user_id=user_id, email=email, roles=roles, team_id=None, kind="access"
    )


async def demo_token(base_url: str) -> str:
    """The demo admin's access token, from a real password sign-in."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def poll(
    base_url: str,
    path: str,
    token: str,
    until: Callable[[dict[str, Any]], bool],
    *,
    params: dict[str, Any] | None = None,
    timeout: float = 5.0,
) -> dict[str, Any]:
    """GET ``path`` until ``until(json)`` holds (records are written in the background).

    Raises:
        AssertionError: It did not hold within ``timeout`` seconds (with the last answer).
    """
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
        while True:
            response = await http.get(path, params=params)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            if until(body):
                return body
            assert time.monotonic() < deadline, f"{path} never matched; last answer: {body}"
            await asyncio.sleep(0.1)
