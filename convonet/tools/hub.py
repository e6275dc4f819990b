"""The agent side of the tool servers: stdio MCP sessions kept for the life of the process.

The lifespan starts one ``python -m convonet.tools GROUP`` subprocess per tool group and
keeps its MCP session open; every call's tools come from these sessions (loaded once with
``langchain-mcp-adapters``), so nothing is respawned per call or per turn. An interceptor
sends each call with the caller's identity in ``_meta``, bounds it by the tool timeout and
records it (:mod:`convonet.tools.records`).
"""

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.interceptors import MCPToolCallRequest, MCPToolCallResult
from langchain_mcp_adapters.tools import load_mcp_tools
from loguru import logger
from mcp import ClientSession, McpError, StdioServerParameters
from mcp.client.stdio import get_default_environment, stdio_client
from mcp.types import CallToolResult, TextContent

import convonet
from convonet.domains.registry import SHARED, add_domain_paths, group_domains
from convonet.errors import ConvonetError
from convonet.settings import Settings
from convonet.tools.records import ToolCallRecord, record_tool_call, summarize
from convonet.tools.scope import ToolScope


@dataclass(frozen=True, slots=True)
class ToolServerSpec:
    """How to start one stdio tool server and which domain agent gets its tools."""

    args: tuple[str, ...]
    domain: str


def default_servers() -> dict[str, ToolServerSpec]:
    """One ``python -m convonet.tools GROUP`` per tool group."""
    return {
        group: ToolServerSpec(("-m", "convonet.tools", group), domain)
        for group, domain in group_domains().items()
    }


class ToolTimeoutError(ConvonetError):
    """A tool did not answer within the tool timeout."""


def unwrap_exception_group(error: BaseException) -> BaseException:
    """The first leaf of a (nested) ``ExceptionGroup`` — what actually went wrong."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def child_environment(settings: Settings) -> dict[str, str]:
    """Environment for a tool subprocess: the same database, Redis and secrets as ours."""
    env = get_default_environment()
    values = {
        "DATABASE_URL": settings.resolved_database_url,
        "DATABASE_SCHEMA": settings.database_schema,
        "REDIS_URL": settings.redis_url,
        "DATA_DIR": str(settings.data_dir),
        "PIN_HASH_SECRET": settings.pin_hash_secret.get_secret_value(),
        "JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "ENVIRONMENT": settings.environment,
        "HF_HUB_OFFLINE": "1",
        "DOMAIN_PATHS": ",".join(str(path) for path in settings.domain_paths) or None,
        # The children import the very convonet package this server runs (a checkout run
        # from elsewhere, not whatever version is installed).
        "PYTHONPATH": str(Path(convonet.__file__).resolve().parents[1]),
    }
    env.update({key: value for key, value in values.items() if value is not None})
    return env


def _result_text(result: CallToolResult) -> str:
    return " ".join(c.text for c in result.content if isinstance(c, TextContent))


class ToolHub:
    """Owns the tool servers' MCP sessions and their LangChain tools."""

    def __init__(
        self, settings: Settings, servers: dict[str, ToolServerSpec] | None = None
    ) -> None:
        add_domain_paths(settings.domain_paths)
        self._settings = settings
        self._servers = servers if servers is not None else default_servers()
        self._stack = AsyncExitStack()
        self._sessions: dict[str, ClientSession] = {}
        self._tools: dict[str, list[BaseTool]] = {}
        self.ready = asyncio.Event()
        self.failed: BaseException | None = None

    async def serve(self, stop: asyncio.Event) -> None:
        """Run the tool servers until ``stop`` is set (one task opens and closes them all).

        Start-up failures are logged and leave the hub without tools (``failed`` is set):
        the agent then runs with its session tools only, and ``/readyz`` says so.
        """
        try:
            await self.start()
        except Exception as error:  # a session boundary for the whole tool layer
            self.failed = unwrap_exception_group(error)
            logger.exception(f"MCP tool servers failed to start: {self.failed}")
            self.ready.set()
        try:
            await stop.wait()
        finally:
            await self.close()

    async def start(self) -> None:
        """Spawn the tool servers and load their tools (call once, from the owning task)."""
        started = time.perf_counter()
        env = child_environment(self._settings)
        for group, spec in self._servers.items():
            params = StdioServerParameters(command=sys.executable, args=list(spec.args), env=env)
            read, write = await self._stack.enter_async_context(stdio_client(params))
            session = await self._stack.enter_async_context(ClientSession(read, write))
            await session.initialize()
            self._sessions[group] = session
            self._tools[group] = await load_mcp_tools(
                session, server_name=group, tool_interceptors=[self._call]
            )
        self.ready.set()
        count = sum(len(tools) for tools in self._tools.values())
        logger.info(f"{count} MCP tools ready in {time.perf_counter() - started:.1f}s")

    async def close(self) -> None:
        """Close every session (the subprocesses exit)."""
        self.ready.clear()
        await self._stack.aclose()

    def tools_for(self, domain: str) -> list[BaseTool]:
        """The tools of ``domain``'s groups plus the shared ones."""
        return [
            tool
            for group, tools in self._tools.items()
            if self._servers[group].domain in (domain, SHARED)
            for tool in tools
        ]

    @property
    def domains(self) -> list[str]:
        """Domains that have tools."""
        return sorted({self._servers[g].domain for g in self._tools} - {SHARED})

    async def _call(
        self,
        request: MCPToolCallRequest,
        handler: Callable[[MCPToolCallRequest], Awaitable[MCPToolCallResult]],
    ) -> MCPToolCallResult:
        # The adapters' request has no _meta field, so the session is called here directly
        # with the caller's identity; the rest of the adapter (result conversion) is kept.
        context = getattr(request.runtime, "context", None)
        user_id = getattr(context, "user_id", None)
        meta = (
            ToolScope(user_id=user_id, session_id=getattr(context, "session_id", None)).as_meta()
            if user_id
            else None
        )
        started = time.perf_counter()
        timeout = self._settings.tool_timeout_secs
        try:
            result = await self._sessions[request.server_name].call_tool(
                request.name,
                request.args,
                read_timeout_seconds=timedelta(seconds=timeout),
                meta=meta,
            )
        except BaseExceptionGroup as group:
            # The MCP client's task groups wrap failures; report the one that matters.
            error = unwrap_exception_group(group)
            self._record(request, str(error), (time.perf_counter() - started) * 1000, "error")
            raise RuntimeError(f"{request.name} failed: {error}") from error
        except McpError as error:
            elapsed = (time.perf_counter() - started) * 1000
            timed_out = elapsed >= timeout * 1000 * 0.95
            self._record(request, str(error), elapsed, "timeout" if timed_out else "error")
            if timed_out:
                message = f"{request.name} did not answer within {timeout:g}s"
                raise ToolTimeoutError(message) from error
            raise
        elapsed = (time.perf_counter() - started) * 1000
        payload: Any = result.structuredContent or _result_text(result)
        self._record(request, payload, elapsed, "error" if result.isError else "ok")
        return result

    @staticmethod
    def _record(request: MCPToolCallRequest, result: Any, elapsed_ms: float, outcome: Any) -> None:
        record_tool_call(
            ToolCallRecord(
                name=request.name,
                args=dict(request.args),
                result=result,
                summary=summarize(result),
                elapsed_ms=round(elapsed_ms, 1),
                outcome=outcome,
            )
        )
