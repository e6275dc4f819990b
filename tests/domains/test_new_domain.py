"""``convonet new-domain``: a scaffolded domain works without editing any other file.

The scaffold is written into a temporary directory named by the ``domain_paths`` setting, then
reached as a caller would: by text through the offline graph (router, offline model) with its
tool served by a real stdio MCP server, and at ``/mcp`` with a JWT.
"""

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from convonet.agents.context import AgentContext
from convonet.agents.factory import AgentFactory
from convonet.agents.offline import OfflineAgentModel
from convonet.agents.offline.evaluate import all_tools
from convonet.agents.offline.phrasing import spoken_capabilities
from convonet.bots.registry import default_registry
from convonet.cli import main
from convonet.domains.registry import domain_names, group_domains, remove_domain_paths
from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import Database
from convonet.storage.seed import DEMO_EMAIL, DEMO_PASSWORD
from convonet.storage.users import create_user
from convonet.tools.hub import ToolHub, ToolServerSpec
from tests.conftest import LiveServer
from tests.conftest import test_settings as isolated_settings
from tests.fakes.backends import TEST_PIN_SECRET, storage_settings

NAME, TOOL, ASK = "claims", "get_claims_status", "what's the status of my claims"
REPLY = "Insurance Claims is ready for you, Ann."


@pytest.fixture
def domains_dir(tmp_path: Path) -> Iterator[Path]:
    """A scaffolded ``claims`` domain in a temporary ``domain_paths`` directory."""
    directory = tmp_path / "domains"
    result = CliRunner().invoke(
        main, ["new-domain", NAME, "--title", "Insurance Claims", "--dir", str(directory)]
    )
    assert result.exit_code == 0, result.output
    try:
        yield directory
    finally:
        remove_domain_paths([directory])
        for module in [m for m in sys.modules if m.startswith(f"convonet.domains.{NAME}")]:
            del sys.modules[module]


def _with_domains(directory: Path, settings: Settings) -> Settings:
    return settings.model_copy(update={"domain_paths": [directory]})


def test_the_scaffold_is_discovered_everywhere_with_no_other_edit(
    domains_dir: Path, tmp_path: Path
) -> None:
    written = sorted(p.relative_to(domains_dir).as_posix() for p in domains_dir.rglob("*.py"))
    assert written == [f"{NAME}/__init__.py", f"{NAME}/intents.py", f"{NAME}/phrasing.py",
                       f"{NAME}/tools.py"]  # fmt: skip
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(domains_dir)],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout
    assert NAME not in domain_names()
    AgentFactory(_with_domains(domains_dir, isolated_settings(tmp_path)))  # applies domain_paths
    assert domain_names()[-1] == NAME and group_domains()[NAME] == NAME
    assert NAME in default_registry().get("assistant").domains
    assert TOOL in all_tools() and "insurance claims" in spoken_capabilities(all_tools())
    reply = OfflineAgentModel().with_tools(all_tools()).invoke([HumanMessage(ASK)])
    assert isinstance(reply, AIMessage) and reply.tool_calls[0]["name"] == TOOL
    taken = CliRunner().invoke(main, ["new-domain", NAME, "--dir", str(domains_dir)])
    assert taken.exit_code != 0 and "already exists" in taken.output


@pytest.mark.integration
async def test_by_text_through_the_offline_graph_and_a_stdio_tool_server(
    domains_dir: Path, tmp_path: Path
) -> None:
    settings = _with_domains(domains_dir, storage_settings(tmp_path))
    await migrate.upgrade(settings)
    async with Database.from_settings(settings) as db, db.session() as session:
        user = await create_user(session, pin_secret=TEST_PIN_SECRET, email="a@b.c", name="Ann Lee")
        user_id = user.id
    # Only the new group's server (plus nothing else): the hub finds it by name.
    hub = ToolHub(settings, {NAME: ToolServerSpec(("-m", "convonet.tools", NAME), NAME)})
    stop = asyncio.Event()
    task = asyncio.create_task(hub.serve(stop))
    try:
        await asyncio.wait_for(hub.ready.wait(), 60)
        assert hub.failed is None, hub.failed
        graph = AgentFactory(settings, hub).graph("offline")
        context = AgentContext(session_id="s1", domains=("productivity", NAME), user_id=user_id)
        state = await graph.ainvoke({"messages": [HumanMessage(ASK)]}, context=context)
    finally:
        stop.set()
        await task
    assert state["domain"] == NAME
    tool_message = next(m for m in state["messages"] if isinstance(m, ToolMessage))
    assert NAME in tool_message.text and "Ann Lee" in tool_message.text
    assert state["messages"][-1].content == REPLY


@pytest.mark.integration
async def test_at_mcp_with_a_jwt(domains_dir: Path, tmp_path: Path) -> None:
    settings = _with_domains(domains_dir, isolated_settings(tmp_path, tools_enabled=False))
    server = LiveServer(settings)
    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            login = await http.post(
                "/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
            )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        async with (
            streamablehttp_client(f"{server.url}/mcp/", headers=headers) as (read, write, _),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            names = {tool.name for tool in (await client.list_tools()).tools}
            result = await client.call_tool(TOOL, {})
    finally:
        await asyncio.to_thread(server.stop)
    assert TOOL in names and len(names) >= 42
    assert not result.isError and result.structuredContent is not None
    assert result.structuredContent["domain"] == NAME
    assert result.structuredContent["caller"] == "Demo User"
