"""The restaurant's HTTP tests: the app in process on SQLite + fakeredis and PostgreSQL + Redis.

``reservations_api`` serves the real app (``create_app``) through ``httpx.ASGITransport``
on a runtime opened like the server's lifespan opens it, minus the speech models and tool
servers the reservation routes never touch; it is migrated and demo-seeded (the six tables).
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from pydantic import SecretStr

from convonet.auth.tokens import issue_token
from convonet.runtime import Runtime, open_runtime
from convonet.server import create_app
from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import Database
from convonet.storage.seed import seed_demo
from convonet.storage.users import create_user
from tests.fakes.backends import (
    _postgres_schema,
    postgres_problem,
    postgres_url,
    redis_problem,
    redis_url,
    storage_settings,
)

WEBHOOK_SECRET = "hanok-test-secret-0123456789"
NEW_YORK = ZoneInfo("America/New_York")


def next_weekday(weekday: int, after_days: int = 2) -> date:
    """The first date with ``weekday`` (Monday 0) at least ``after_days`` from today (NY)."""
    day = datetime.now(NEW_YORK).date() + timedelta(days=after_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@dataclass
class ReservationsApi:
    """An HTTP client on the app, its runtime, and access tokens by role."""

    http: httpx.AsyncClient
    runtime: Runtime
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        """The ``Authorization`` header of ``who`` (``staff``, ``ann``, ``bob``)."""
        return {"Authorization": f"Bearer {self.tokens[who]}"}


async def _user_token(runtime: Runtime, email: str, roles: list[str]) -> str:
    settings = runtime.settings
    async with runtime.db.session() as session:
        user = await create_user(
            session, pin_secret=settings.pin_hash_secret, email=email, name=email, roles=roles
        )
    return issue_token(
        settings, user_id=user.id, email=email, roles=roles, team_id=None, kind="access"
    )


@asynccontextmanager
async def _backend(kind: str, data_dir: Path) -> AsyncIterator[Settings]:
    """Settings for a fresh SQLite file, or a fresh PostgreSQL schema and the Redis server."""
    overrides: dict[str, object] = {
        "tools_enabled": False,
        "hanok_webhook_secret": SecretStr(WEBHOOK_SECRET),
        "reservation_public_limit": 4,
        "restaurant_hours": dict.fromkeys(
            ("mon", "tue", "wed", "thu", "fri", "sat"), "11:30-22:00"
        ),
    }
    if kind == "sqlite":  # open_runtime migrates and seeds the embedded database
        yield storage_settings(data_dir, **overrides)
        return
    url, cache = postgres_url(), redis_url()
    for problem in (await postgres_problem(url), await redis_problem(cache)):
        if problem is not None:
            pytest.skip(problem)
    client = aioredis.Redis.from_url(cache)
    await client.flushdb()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    await _postgres_schema(url, f'CREATE SCHEMA "{schema}"')
    try:
        settings = storage_settings(
            data_dir, database_url=url, database_schema=schema, redis_url=cache, **overrides
        )
        await migrate.upgrade(settings)
        async with Database.from_settings(settings) as db:
            await seed_demo(db, settings)
        yield settings
    finally:
        await _postgres_schema(url, f'DROP SCHEMA "{schema}" CASCADE')
        await client.flushdb()
        await client.aclose()


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgresql"])
async def reservations_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ReservationsApi]:
    """The app in process on each backend pair, shared by a module's tests (one loop).

    Tests sharing it book on their own dates so they never meet.
    """
    async with _backend(request.param, tmp_path_factory.mktemp("hanok")) as settings:
        app = create_app(settings)
        async with open_runtime(settings) as runtime:
            app.state.runtime = runtime
            tokens = {
                "staff": await _user_token(runtime, "host@hanok.test", ["user", "agent"]),
                "ann": await _user_token(runtime, "ann@hanok.test", ["user"]),
                "bob": await _user_token(runtime, "bob@hanok.test", ["user"]),
            }
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield ReservationsApi(http, runtime, tokens)
