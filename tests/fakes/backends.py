"""Database and Redis backends for tests: every storage test runs on both kinds.

* Database: the embedded default (a SQLite file in a temporary data directory) and the
  PostgreSQL server at ``CONVONET_TEST_DATABASE_URL`` (default
  ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``). Each PostgreSQL test gets its own
  schema (``DATABASE_SCHEMA``), dropped afterwards, so parallel runs never meet.
* Redis: the embedded fakeredis and the server at ``CONVONET_TEST_REDIS_URL`` (default
  ``redis://127.0.0.1:6379/15``; one database per pytest-xdist worker), flushed before and
  after each test.

The server variants skip, with the reason, when no server answers. Import the fixtures into a
``conftest.py`` (``from tests.fakes.backends import ...``) to use them in another directory.
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import Database
from convonet.storage.redis import RedisStore

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
TEST_PIN_SECRET = "test-pin-secret"

_unreachable: dict[str, str | None] = {}  # url -> skip reason (None: the server answered)


def postgres_url() -> str:
    """The PostgreSQL server the ``postgresql`` variants use."""
    return os.environ.get("CONVONET_TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL


def redis_url() -> str:
    """The Redis server the ``redis`` variants use: one database per pytest-xdist worker.

    The tests flush their database, so two workers sharing one would wipe each other's
    keys: worker ``gwN`` counts down from the configured database number (15, 14, ...).
    """
    url = os.environ.get("CONVONET_TEST_REDIS_URL") or DEFAULT_REDIS_URL
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    if not worker.isdigit() or worker == "0":
        return url
    base, _, number = url.rpartition("/")
    if not number.isdigit():
        base, number = url.rstrip("/"), "15"
    return f"{base}/{(int(number) - int(worker)) % 16}"


def storage_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings isolated from the environment: embedded database and Redis unless overridden."""
    values: dict[str, Any] = {
        "environment": "test",
        "data_dir": data_dir,
        "database_url": None,
        "database_schema": None,
        "redis_url": None,
        "pin_hash_secret": TEST_PIN_SECRET,
        "voice_pin": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def settings_env(settings: Settings) -> dict[str, str | None]:
    """Environment variables that make a CLI process build ``settings``' storage settings."""
    return {
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "DATABASE_SCHEMA": settings.database_schema,
        "REDIS_URL": settings.redis_url,
        "PIN_HASH_SECRET": settings.pin_hash_secret.get_secret_value(),
        "ENVIRONMENT": "test",
    }


async def postgres_problem(url: str) -> str | None:
    """Why the PostgreSQL server at ``url`` cannot be used (``None``: it answers)."""
    if url not in _unreachable:
        engine = create_async_engine(url, connect_args={"timeout": 3})
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            _unreachable[url] = None
        except (SQLAlchemyError, OSError) as error:
            _unreachable[url] = f"PostgreSQL at {url} did not answer ({type(error).__name__})"
        finally:
            await engine.dispose()
    return _unreachable[url]


async def redis_problem(url: str) -> str | None:
    """Why the Redis server at ``url`` cannot be used (``None``: it answers)."""
    if url not in _unreachable:
        client = aioredis.Redis.from_url(url, socket_connect_timeout=3)
        try:
            await client.ping()
            _unreachable[url] = None
        except (RedisError, OSError) as error:
            _unreachable[url] = f"Redis at {url} did not answer ({type(error).__name__})"
        finally:
            await client.aclose()
    return _unreachable[url]


async def _postgres_schema(url: str, sql: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings for an empty database: the default SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield storage_settings(tmp_path)
        return
    url = postgres_url()
    problem = await postgres_problem(url)
    if problem is not None:
        pytest.skip(f"{problem}; set CONVONET_TEST_DATABASE_URL or start the server")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    await _postgres_schema(url, f'CREATE SCHEMA "{schema}"')
    try:
        yield storage_settings(tmp_path, database_url=url, database_schema=schema)
    finally:
        await _postgres_schema(url, f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
async def database(db_settings: Settings) -> AsyncIterator[Database]:
    """A database migrated to head, on both backends."""
    await migrate.upgrade(db_settings)
    db = Database.from_settings(db_settings)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture(params=["fakeredis", "redis"])
async def redis_settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings for an empty Redis: the embedded fake, or database 15 of the real server."""
    if request.param == "fakeredis":
        yield storage_settings(tmp_path)
        return
    url = redis_url()
    problem = await redis_problem(url)
    if problem is not None:
        pytest.skip(f"{problem}; set CONVONET_TEST_REDIS_URL or start the server")
    client = aioredis.Redis.from_url(url)
    try:
        await client.flushdb()
        yield storage_settings(tmp_path, redis_url=url)
        await client.flushdb()
    finally:
        await client.aclose()


@pytest.fixture
async def redis_store(redis_settings: Settings) -> AsyncIterator[RedisStore]:
    """A :class:`RedisStore` on an empty Redis, on both backends."""
    store = RedisStore.from_settings(redis_settings)
    try:
        yield store
    finally:
        await store.aclose()


@asynccontextmanager
async def paired_backends(kind: str, data_dir: Path, **overrides: Any) -> AsyncIterator[Settings]:
    """Settings for one backend pair, for module-scoped fixtures (one setup per module).

    ``kind`` ``"embedded"`` is SQLite + fakeredis; ``"servers"`` is a fresh PostgreSQL schema
    (migrated to head, dropped afterwards) + the flushed Redis server. Skips when a server
    does not answer.
    """
    if kind == "embedded":
        yield storage_settings(data_dir, **overrides)
        return
    url, rurl = postgres_url(), redis_url()
    problem = await postgres_problem(url) or await redis_problem(rurl)
    if problem is not None:
        pytest.skip(problem)
    schema = f"test_{uuid.uuid4().hex[:16]}"
    await _postgres_schema(url, f'CREATE SCHEMA "{schema}"')
    client = aioredis.Redis.from_url(rurl)
    try:
        await client.flushdb()
        settings = storage_settings(
            data_dir, database_url=url, database_schema=schema, redis_url=rurl, **overrides
        )
        await migrate.upgrade(settings)
        yield settings
    finally:
        await client.flushdb()
        await client.aclose()
        await _postgres_schema(url, f'DROP SCHEMA "{schema}" CASCADE')
