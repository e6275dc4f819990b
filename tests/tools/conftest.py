"""Tool tests run on both databases (SQLite and PostgreSQL) with the embedded Redis."""

from collections.abc import AsyncIterator

import pytest

from convonet.settings import Settings
from convonet.storage.db import Database
from convonet.storage.redis import RedisStore


@pytest.fixture
async def store(db_settings: Settings) -> AsyncIterator[RedisStore]:
    """An embedded Redis store for tools that touch Redis."""
    opened = RedisStore.from_settings(db_settings)
    try:
        yield opened
    finally:
        await opened.aclose()


@pytest.fixture
def tool_deps(db_settings: Settings, database: Database, store: RedisStore):  # type: ignore[no-untyped-def]
    """(settings, database, store) for :func:`tests.fakes.mcp_harness.tool_harness`."""
    return db_settings, database, store
