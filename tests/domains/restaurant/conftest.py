"""The restaurant's HTTP tests: the app in process on SQLite + fakeredis and PostgreSQL + Redis.

``reservations_api`` serves the real app (``create_app``) through ``httpx.ASGITransport``
on a runtime opened like the server's lifespan opens it, minus the speech models and tool
servers the reservation routes never touch; it is migrated and demo-seeded (the six tables).
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
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
from tests.fakes.backends import _redis_problem, redis_url

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


async def _backend(db_settings: Settings, **overrides: object) -> Settings:
    settings = db_settings.model_copy(update={"tools_enabled": False, **overrides})
    if settings.database_url is None:
        return settings  # open_runtime migrates and seeds the embedded database
    url = redis_url()
    if (problem := await _redis_problem(url)) is not None:
        pytest.skip(problem)
    client = aioredis.Redis.from_url(url)
    await client.flushdb()
    await client.aclose()
    settings = settings.model_copy(update={"redis_url": url})
    await migrate.upgrade(settings)
    async with Database.from_settings(settings) as db:
        await seed_demo(db, settings)
    return settings


@pytest.fixture
async def reservations_api(db_settings: Settings) -> AsyncIterator[ReservationsApi]:
    """The app in process on each backend pair, with a webhook secret and a low public limit."""
    settings = await _backend(
        db_settings,
        hanok_webhook_secret=SecretStr(WEBHOOK_SECRET),
        reservation_public_limit=4,
        restaurant_hours={d: "11:30-22:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
    )
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
