"""A change said to the bot reaches ``/api/mortgage/live`` (real server, real tool subprocess).

The caller's words go through ``POST /agent/process``; the offline model calls
``update_mortgage_application`` in the mortgage MCP server's own process, which commits and
publishes on ``mortgage:events``; the dashboard's stream, opened before, must carry it.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, connect, session_auth
from tests.monitor.conftest import demo_token

pytestmark = pytest.mark.integration


async def _events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """``(event, data)`` of each Server-Sent Event (comments skipped)."""
    event, data = "message", []
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif not line and data:
            yield event, json.loads("\n".join(data))
            event, data = "message", []


async def test_a_spoken_update_shows_up_on_the_live_feed(live_app: LiveServer) -> None:
    token = await demo_token(live_app.url)
    headers = {"Authorization": f"Bearer {token}"}
    started = await connect(live_app.url)
    async with (
        httpx.AsyncClient(base_url=live_app.url, headers=headers, timeout=30) as dashboard,
        httpx.AsyncClient(
            base_url=live_app.url, headers=session_auth(started), timeout=30
        ) as caller,
        dashboard.stream("GET", "/api/mortgage/live") as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = _events(stream)
        kind, ready = await asyncio.wait_for(anext(events), 10)
        assert kind == "ready" and ready["channel"] == "mortgage:events"

        said = {"text": "My credit score is 777", "session_id": started["session_id"]}
        answer = await caller.post("/agent/process", json=said)
        assert answer.status_code == 200, answer.text
        assert [c["name"] for c in answer.json()["tool_calls"]] == ["update_mortgage_application"]

        kind, change = await asyncio.wait_for(anext(events), 10)
        assert kind == "application" and change["change"] == "updated"
        row = change["application"]
        assert row["borrower"]["email"] == "demo@convonet.local"
        detail = await dashboard.get(f"/api/mortgage/applications/{row['id']}")
        assert detail.json()["figures"]["credit_score"] == 777
        assert detail.json()["updated_at"] == row["updated_at"]

        unauthenticated = await caller.get("/api/mortgage/live", headers={"Authorization": ""})
        assert unauthenticated.status_code == 401
