"""What tool functions work with: the database, the Redis store, the settings."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from mcp.server.fastmcp import Context

from convonet.settings import Settings
from convonet.storage.db import Database
from convonet.storage.redis import RedisStore
from convonet.tools.scope import ToolScope, current_scope


@dataclass
class ToolResources:
    """Shared handles of one tool server.

    Attributes:
        settings: The settings the server runs with.
        db: The application database.
        store: The Redis store (transfer requests, events).
        trust_meta: Whether ``_meta`` may carry the caller's identity (stdio only).
    """

    settings: Settings
    db: Database
    store: RedisStore
    trust_meta: bool


@asynccontextmanager
async def open_resources(settings: Settings, *, trust_meta: bool) -> AsyncIterator[ToolResources]:
    """Open (and finally close) the database and Redis connections a tool server needs."""
    db = Database.from_settings(settings)
    store = RedisStore.from_settings(settings)
    try:
        yield ToolResources(settings=settings, db=db, store=store, trust_meta=trust_meta)
    finally:
        await store.aclose()
        await db.dispose()


def tool_env(ctx: Context[Any, Any, Any]) -> tuple[ToolResources, ToolScope]:
    """The resources and caller identity of the current tool call.

    Raises:
        ToolError: The call carries no identity.
    """
    resources: ToolResources = ctx.request_context.lifespan_context
    return resources, current_scope(ctx, trust_meta=resources.trust_meta)
