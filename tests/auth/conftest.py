"""A runtime on each backend pair: SQLite + embedded Redis, PostgreSQL + the Redis server."""

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from convonet.runtime import Runtime, open_runtime
from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import Database
from convonet.storage.seed import seed_demo
from tests.fakes.backends import redis_problem, redis_url


@pytest.fixture
async def backend_runtime(db_settings: Settings) -> AsyncIterator[Runtime]:
    """A migrated, demo-seeded runtime; the PostgreSQL variant also uses the real Redis."""
    # Sign-in needs no tool servers; not spawning them keeps each test quick.
    settings = db_settings.model_copy(update={"tools_enabled": False})
    if settings.database_url is not None:
        url = redis_url()
        problem = await redis_problem(url)
        if problem is not None:
            pytest.skip(problem)
        client = aioredis.Redis.from_url(url)
        await client.flushdb()
        await client.aclose()
        settings = settings.model_copy(update={"redis_url": url})
        await migrate.upgrade(settings)
        async with Database.from_settings(settings) as db:
            await seed_demo(db, settings)
    async with open_runtime(settings) as runtime:
        yield runtime
