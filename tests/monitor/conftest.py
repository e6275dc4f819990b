"""Helpers of the Agent Monitor tests: tokens for each role, polling the monitor's API."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx

from convonet.auth.tokens import issue_token
from convonet.settings import Settings
from convonet.storage.seed import DEMO_EMAIL, DEMO_PASSWORD


def token_for(settings: Settings, roles: list[str], user_id: str = "u-test") -> str:
    """An access token signed with ``settings``' secret for a user holding ``roles``."""
    return issue_token(
        settings, user_id=user_id, email=f"{user_id}@test", roles=roles, team_id=None,
        kind="access",
    )  # fmt: skip


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
