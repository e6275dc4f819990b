"""Drive our MCP tool servers through a real MCP client session (in-memory streams).

The server is built exactly as in production (``build_server``); only the transport is an
in-process stream pair instead of stdio, so tests are fast and still speak MCP.
"""

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from mcp.client.session import ClientSession
from mcp.shared.memory import create_connected_server_and_client_session
from mcp.types import TextContent

from convonet.settings import Settings
from convonet.storage.db import Database
from convonet.storage.redis import RedisStore
from convonet.storage.users import create_user
from convonet.tools.resources import ToolResources
from convonet.tools.scope import ToolScope
from convonet.tools.server import build_server
from tests.fakes.backends import TEST_PIN_SECRET


class ToolCallError(Exception):
    """The tool answered with an MCP error result (its message is the error text)."""


class ToolHarness:
    """A connected MCP client plus helpers to call tools as a given user."""

    def __init__(self, client: ClientSession, resources: ToolResources) -> None:
        self.client = client
        self.resources = resources

    async def call(
        self, name: str, args: dict[str, Any] | None = None, *, user: str, session_id: str = "s1"
    ) -> dict[str, Any]:
        """Call ``name`` as ``user``; return its structured result.

        Raises:
            ToolCallError: The tool reported an error.
        """
        scope = ToolScope(user_id=user, session_id=session_id)
        result = await self.client.call_tool(name, args or {}, meta=scope.as_meta())
        text = " ".join(c.text for c in result.content if isinstance(c, TextContent))
        if result.isError:
            raise ToolCallError(text)
        if result.structuredContent is not None:
            return dict(result.structuredContent)
        return dict(json.loads(text))

    async def user(self, email: str, name: str = "Test User", **kwargs: Any) -> str:
        """Create a user and return their id."""
        async with self.resources.db.session() as session:
            user = await create_user(
                session, pin_secret=TEST_PIN_SECRET, email=email, name=name, **kwargs
            )
            return user.id


@asynccontextmanager
async def tool_harness(
    settings: Settings, db: Database, store: RedisStore, groups: Iterable[str]
) -> AsyncIterator[ToolHarness]:
    """A harness whose server carries ``groups`` on ``db`` and ``store``."""
    resources = ToolResources(settings=settings, db=db, store=store, trust_meta=True)

    @asynccontextmanager
    async def opened() -> AsyncIterator[ToolResources]:
        yield resources

    server = build_server("test", groups, opened)
    async with create_connected_server_and_client_session(server) as client:
        yield ToolHarness(client, resources)
