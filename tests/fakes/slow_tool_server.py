"""A stdio MCP server with deliberately slow and failing tools, for timeout tests.

Run as ``python -m tests.fakes.slow_tool_server``.
"""

import asyncio

from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError

server = FastMCP("slow", log_level="WARNING")


@server.tool()
async def sleepy(seconds: float) -> dict[str, float]:
    """Sleep for ``seconds`` and report it."""
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@server.tool()
async def broken() -> dict[str, str]:
    """Always fail with a readable error."""
    raise ToolError("the widget is broken")


if __name__ == "__main__":
    server.run("stdio")
