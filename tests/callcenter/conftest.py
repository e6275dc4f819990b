"""The call-center tests' backends: two app instances sharing one database and one Redis.

Each test module runs once on SQLite + fakeredis (served on a loopback port, so both
instances share it) and once on the real PostgreSQL + Redis (``CONVONET_TEST_DATABASE_URL``,
``CONVONET_TEST_REDIS_URL``; skipped with the reason when they do not answer). The apps run
in-process (``httpx.ASGITransport``) with their runtimes opened as the lifespan would, the
wrap-up sweeper included, and one shared fake clock, so wrap-up ends when a test says so.
"""

import itertools
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from convonet.auth.tokens import issue_token
from convonet.runtime import Runtime, open_runtime
from convonet.server import create_app
from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import Database
from convonet.storage.embedded_redis import EmbeddedRedisServer
from convonet.storage.models import CallCenterAgent, Department, Team, TeamMember
from convonet.storage.seed import DEPARTMENTS
from convonet.storage.users import create_user
from tests.fakes.backends import (
    postgres_problem,
    postgres_url,
    redis_problem,
    redis_url,
    storage_settings,
)

API = "/call-center/api"
_numbers = itertools.count(5000)


class FakeClock:
    """Wall-clock seconds that only move when told (shared by both app instances)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@dataclass(frozen=True)
class Person:
    """A user made for one test: their token, agent record and team."""

    user_id: str
    email: str
    token: str
    team_id: str
    agent_id: str | None
    extension: str | None

    @property
    def auth(self) -> dict[str, str]:
        """The request header carrying the access token."""
        return {"Authorization": f"Bearer {self.token}"}


class Desk:
    """Two app instances on one database and Redis."""

    def __init__(self, settings: Settings, apps: list[FastAPI], clock: FakeClock) -> None:
        self.settings = settings
        self.apps = apps
        self.clock = clock

    def runtime(self, instance: int = 0) -> Runtime:
        """An instance's runtime."""
        runtime: Runtime = self.apps[instance].state.runtime
        return runtime

    def client(self, person: Person | None = None, instance: int = 0) -> httpx.AsyncClient:
        """An HTTP client of an instance, signed in as ``person`` (none: anonymous)."""
        transport = httpx.ASGITransport(app=self.apps[instance])
        headers = person.auth if person is not None else {}
        return httpx.AsyncClient(transport=transport, base_url="http://cc.test", headers=headers)

    async def person(
        self,
        *,
        roles: tuple[str, ...] = ("agent",),
        team_id: str | None = None,
        agent: bool = True,
        department: str = "support",
        phone: str | None = None,
        name: str = "Agent Tester",
    ) -> Person:
        """A new user (in ``team_id``, else a new team), an agent record unless ``agent=False``."""
        runtime = self.runtime()
        number = str(next(_numbers))
        email = f"cc-{uuid.uuid4().hex[:10]}@callcenter.test"
        async with runtime.db.session() as session:
            user = await create_user(
                session, pin_secret=self.settings.pin_hash_secret, email=email,
                name=name, roles=list(roles), phone=phone,
            )  # fmt: skip
            if team_id is None:
                team = Team(name=f"team-{uuid.uuid4().hex[:10]}")
                session.add(team)
                await session.flush()
                team_id = team.id
            session.add(TeamMember(team_id=team_id, user_id=user.id))
            agent_id = extension = None
            if agent:
                dept = await session.scalar(
                    select(Department.id).where(Department.name == department)
                )
                row = CallCenterAgent(
                    user_id=user.id, extension=number, department_id=dept,
                    sip_username=number, sip_password=f"pw-{number}",
                )  # fmt: skip
                session.add(row)
                await session.flush()
                agent_id, extension = row.id, number
            user_id = user.id
        token = issue_token(
            self.settings, user_id=user_id, email=email, roles=list(roles),
            team_id=team_id, kind="access",
        )  # fmt: skip
        return Person(user_id, email, token, team_id, agent_id, extension)


async def _postgres_schema(url: str, sql: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


async def _backend_settings(kind: str, data_dir: Path, stack: AsyncExitStack) -> Settings:
    overrides: dict[str, object] = {"tools_enabled": False}
    if kind == "sqlite":
        embedded = EmbeddedRedisServer().start()
        stack.callback(embedded.stop)
        overrides |= {"database_url": f"sqlite:///{data_dir / 'cc.db'}", "redis_url": embedded.url}
        return storage_settings(data_dir, **overrides)
    for problem in (await postgres_problem(postgres_url()), await redis_problem(redis_url())):
        if problem is not None:
            pytest.skip(problem)
    schema = f"cc_{uuid.uuid4().hex[:12]}"
    await _postgres_schema(postgres_url(), f'CREATE SCHEMA "{schema}"')
    stack.push_async_callback(_postgres_schema, postgres_url(), f'DROP SCHEMA "{schema}" CASCADE')
    client = aioredis.Redis.from_url(redis_url())
    await client.flushdb()
    stack.push_async_callback(client.aclose)
    stack.push_async_callback(client.flushdb)
    overrides |= {
        "database_url": postgres_url(),
        "database_schema": schema,
        "redis_url": redis_url(),
    }
    return storage_settings(data_dir, **overrides)


@pytest_asyncio.fixture(scope="package", loop_scope="package", params=["sqlite", "postgresql"])
async def desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Desk]:
    """Two app instances sharing a migrated database (with departments) and one Redis."""
    async with AsyncExitStack() as stack:
        settings = await _backend_settings(
            request.param, tmp_path_factory.mktemp("callcenter"), stack
        )
        await migrate.upgrade(settings)
        async with Database.from_settings(settings) as db, db.session() as session:
            # The demo's departments only: the whole demo seed costs seconds of bcrypt.
            for name, extension in DEPARTMENTS.items():
                session.add(Department(name=name, extension=extension))
        clock = FakeClock()
        apps = []
        for _ in range(2):
            app = create_app(settings)
            runtime = await stack.enter_async_context(open_runtime(settings))
            runtime.call_center.clock = clock
            await stack.enter_async_context(runtime.call_center.running())
            app.state.runtime = runtime
            apps.append(app)
        yield Desk(settings, apps, clock)
