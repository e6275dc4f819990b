"""Building MCP servers from tool groups.

Each group module (named by its domain's descriptor) defines its tools as module-level functions
decorated with :func:`convonet.tools.framework.tool`. A server may carry one group (stdio,
one process per group) or all of them (the ``/mcp`` endpoint).
"""

import importlib
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from mcp.server.fastmcp import FastMCP

from convonet.domains.registry import group_domains, group_modules
from convonet.tools.framework import register_module
from convonet.tools.resources import ToolResources


def __getattr__(name: str) -> object:
    # GROUP_DOMAINS (tool group → the domain whose agent holds it; "shared": every agent) and
    # GROUPS are derived from the domain descriptors on access.
    if name == "GROUP_DOMAINS":
        return group_domains()
    if name == "GROUPS":
        return tuple(group_modules())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ResourcesFactory = Callable[[], AbstractAsyncContextManager[ToolResources]]


def register_group(mcp: FastMCP, group: str) -> None:
    """Add the tools of ``group`` to ``mcp``.

    Raises:
        ValueError: ``group`` is not a known tool group.
    """
    modules = group_modules()
    if group not in modules:
        raise ValueError(f"unknown tool group {group!r}; known: {', '.join(modules)}")
    register_module(mcp, importlib.import_module(modules[group]))


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
