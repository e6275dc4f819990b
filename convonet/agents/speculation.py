"""A speculative agent run: what it may do before the caller's turn is confirmed.

The voice pipeline can start the agent on a transcript whose turn has not ended yet
(pipecat's eager end of turn: :mod:`convonet.services.eager_turn`). Its words are held
back by the processor until the turn is confirmed, and dropped if the caller carries on,
so the words cost nothing. Tool calls are different: a created to-do cannot be taken back.

While a run is speculative, :func:`hold_side_effects` (the graph's tool-call wrapper) lets
a tool marked read-only (MCP's ``readOnlyHint``) run at once and makes every other tool
call wait until the turn is confirmed. If the speculation is withdrawn the run is
cancelled while it waits, so the call never happens. Pipecat's own LLM services withdraw
the whole speculation at the first tool call instead; holding keeps the model's work.

A model may also say whether the caller's words made a whole request
(:data:`USER_TURN_COMPLETE_KEY`); a prepared reply to a whole request need not wait for
the rest of the confirm window.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command
from loguru import logger

READ_ONLY_HINT = "readOnlyHint"
# A model's verdict, in a reply's ``response_metadata``, on whether the caller's words made
# a whole request (the offline model: it understood one and needs nothing more). True lets
# a prepared reply end the turn before the confirm window (pipecat's semantic completeness,
# ``UserTurnInferenceCompletedFrame``); a model that gives none waits for the window.
USER_TURN_COMPLETE_KEY = "convonet_user_turn_complete"

# The confirmation the running agent turn waits for, if it is speculative.
_confirmation: ContextVar[asyncio.Event | None] = ContextVar(
    "convonet_turn_confirmation", default=None
)

ToolResult = ToolMessage | Command[Any]


def is_read_only(tool: BaseTool | None) -> bool:
    """Whether ``tool`` says it changes nothing (MCP ``readOnlyHint``, kept in its metadata)."""
    return tool is not None and bool((tool.metadata or {}).get(READ_ONLY_HINT))


def mark_read_only(tool: BaseTool) -> BaseTool:
    """Mark a local LangChain tool read-only, as MCP tools are by their annotations."""
    tool.metadata = {**(tool.metadata or {}), READ_ONLY_HINT: True}
    return tool


@contextmanager
def speculative(confirmed: asyncio.Event) -> Iterator[None]:
    """Run the agent turn inside as speculative until ``confirmed`` is set."""
    token = _confirmation.set(confirmed)
    try:
        yield
    finally:
        _confirmation.reset(token)


async def hold_side_effects(
    request: ToolCallRequest, execute: Callable[[ToolCallRequest], Awaitable[ToolResult]]
) -> ToolResult:
    """Run a tool call, first waiting for the turn's confirmation if it changes anything."""
    confirmed = _confirmation.get()
    if confirmed is not None and not confirmed.is_set() and not is_read_only(request.tool):
        logger.debug(f"tool {request.tool_call['name']} waits for the turn to be confirmed")
        await confirmed.wait()
    return await execute(request)
