"""``/mcp``: every tool (41 or more) for external MCP clients, behind the JWT (MCP client)."""

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from convonet.auth.tokens import issue_token
from convonet.storage.seed import DEMO_EMAIL, DEMO_PASSWORD
from tests.conftest import LiveServer

pytestmark = pytest.mark.integration


async def _access_token(live_app: LiveServer) -> str:
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        tokens = await http.post(
            "/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
    return str(tokens.json()["access_token"])


async def test_tools_over_streamable_http_with_a_jwt(live_app: LiveServer) -> None:
    token = await _access_token(live_app)
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        streamablehttp_client(f"{live_app.url}/mcp/", headers=headers) as (read, write, _),
        ClientSession(read, write) as client,
    ):
        await client.initialize()
        tools = await client.list_tools()
        names = {tool.name for tool in tools.tools}
        assert len(names) >= 41  # the spec's tools; added domains bring more
        assert {"create_todo", "transfer_to_agent", "calculate_mortgage_payment"} <= names
        created = await client.call_tool("create_todo", {"title": "from an MCP client"})
        assert not created.isError
        assert created.structuredContent["todo"]["title"] == "from an MCP client"
        listed = await client.call_tool("get_todos", {"status": "open"})
        titles = [t["title"] for t in listed.structuredContent["todos"]]
        assert "from an MCP client" in titles
        payment = await client.call_tool(
            "calculate_mortgage_payment", {"loan_amount": 300000, "annual_rate": 6.5}
        )
        assert payment.structuredContent["monthly_payment"] == pytest.approx(1896.20)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic ZGVtbzpkZW1v"}],
)
async def test_mcp_without_a_valid_jwt_is_401(live_app: LiveServer, headers: dict) -> None:  # type: ignore[type-arg]
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        response = await http.post(
            "/mcp/",
            json=body,
            headers={**headers, "Accept": "application/json, text/event-stream"},
        )
    assert response.status_code == 401
    assert "www-authenticate" in response.headers


async def test_a_refresh_token_is_not_an_mcp_credential(live_app: LiveServer) -> None:
    refresh = issue_token(
        live_app.settings,
        user_id="u1",
        email="a@b.c",
        roles=["user"],
        team_id=None,
        kind="refresh",
    )
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        response = await http.post(
            "/mcp/",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
            headers={
                "Authorization": f"Bearer {refresh}",
                "Accept": "application/json, text/event-stream",
            },
        )
    assert response.status_code == 401
