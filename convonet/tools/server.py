"""Building MCP servers from tool groups.

Each group module (``convonet/tools/<group>.py``) defines its tools as module-level functions
decorated with :func:`convonet.tools.framework.tool`. A server may carry one group (stdio,
one process per group) or all of them (the ``/mcp`` endpoint).
"""

import importlib
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from mcp.server.fastmcp import FastMCP

from convonet.tools.framework import register_module
from convonet.tools.resources import ToolResources

# Tool group → its domain (the agent that holds it). "shared" groups go to every agent.
GROUP_DOMAINS: dict[str, str] = {
    "todo": "productivity",
    "team": "productivity",
    "reminders": "productivity",
    "calendar": "productivity",
    "transfer": "shared",
    "mortgage": "mortgage",
    "healthcare": "healthcare",
    "restaurant": "restaurant",
}
GROUPS: tuple[str, ...] = tuple(GROUP_DOMAINS)

ResourcesFactory = Callable[[], AbstractAsyncContextManager[ToolResources]]


def register_group(mcp: FastMCP, group: str) -> None:
    """Add the tools of ``group`` to ``mcp``.

    Raises:
        ValueError: ``group`` is not a known tool group.
    """
    if group not in GROUP_DOMAINS:
        raise ValueError(f"unknown tool group {group!r}; known: {', '.join(GROUPS)}")
    register_module(mcp, importlib.import_module(f"convonet.tools.{group}"))


def build_server(
    name: str, groups: Iterable[str], resources: ResourcesFactory, **settings: object
) -> FastMCP:
    """Create a FastMCP server carrying ``groups``.

    Args:
        name: Server name reported to clients.
        groups: Tool groups to register.
        resources: Opens the resources the tools use, for the server's lifetime.
        **settings: FastMCP settings (e.g. ``stateless_http=True``).

    Returns:
        The server; run it with ``run("stdio")`` or mount ``streamable_http_app()``.
    """

    @asynccontextmanager
    async def lifespan(_server: FastMCP) -> AsyncIterator[ToolResources]:
        async with resources() as opened:
            yield opened

    mcp = FastMCP(name, lifespan=lifespan, **settings)  # type: ignore[arg-type]
    for group in groups:
        register_group(mcp, group)
    return mcp
