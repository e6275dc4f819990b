"""Demo data (``convonet db seed-demo``): a demo user, a team, sample records.

Only outside production. In development the demo user is a plain user and call-center agent
(extension 2001; never an admin) whose PIN, password and SIP password are generated once per
data directory (``data_dir/secrets/demo_*``) and the first two printed at start-up;
the test environment uses the fixed fixture credentials below (an admin, which
the test suite relies on), and must never be served to anyone.

The core records (people, departments) are made here; each domain adds its own through its
``seed`` module (``async seed(seeder, people)``).

Idempotent: every record is looked up by a natural key first, so running it again creates
nothing new (it only brings the demo user's PIN, password and roles up to date).
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

from loguru import logger
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.domains.registry import optional_modules
from convonet.errors import ConfigurationError
from convonet.settings import Settings, persisted_secret
from convonet.storage import users
from convonet.storage.db import Database
from convonet.storage.models import (
    AgentState,
    Base,
    CallCenterAgent,
    Department,
    Team,
    TeamMember,
    TeamRole,
    User,
    utcnow,
)

DEMO_EMAIL = "demo@convonet.local"
DEMO_NAME = "Demo User"
# The test environment's fixture credentials (development generates its own).
DEMO_PASSWORD = "demo-password"
DEMO_PIN = "1234"
DEMO_TEAM = "Demo Team"
MEMBER_EMAIL = "alex@convonet.local"
DEPARTMENTS = {"support": "2001", "sales": "2002", "billing": "2003"}
# The demo user answers the support desk's extension from the call-center dashboard.
DEMO_EXTENSION = "2001"
DEMO_SIP_PASSWORD = "demo-sip-password"  # the test environment's (development generates one)
ModelT = TypeVar("ModelT", bound=Base)


@dataclass(frozen=True)
class DemoCredentials:
    """How to sign in as the demo user, and what the demo user may do."""

    pin: str
    password: str
    roles: tuple[str, ...]
    sip_password: str = DEMO_SIP_PASSWORD


def demo_credentials(settings: Settings) -> DemoCredentials:
    """The demo user's credentials for ``settings``' environment.

    Raises:
        ConfigurationError: In production, which has no demo user.
    """
    if settings.environment == "test":
        return DemoCredentials(DEMO_PIN, DEMO_PASSWORD, ("user", "admin"), DEMO_SIP_PASSWORD)
    if settings.environment != "development":
        raise ConfigurationError("production has no demo user")
    pin, _ = persisted_secret(
        settings.data_dir, "demo_pin", lambda: str(100000 + secrets.randbelow(900000))
    )
    password, _ = persisted_secret(settings.data_dir, "demo_password")
    sip_password, _ = persisted_secret(settings.data_dir, "demo_sip_password")
    # An agent too, so the developer can try the call-center dashboard (never an admin).
    return DemoCredentials(pin, password[:24], ("user", "agent"), sip_password[:24])


@dataclass
class SeedReport:
    """What a seeding run did.

    Attributes:
        demo_user_id: The demo user's id.
        created: Records created, per table (empty on a repeated run).
    """

    demo_user_id: str
    created: dict[str, int] = field(default_factory=dict)

    @property
    def total_created(self) -> int:
        """How many records this run created."""
        return sum(self.created.values())


class Seeder:
    """Adds records once: looks each up by its natural key first."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.created: dict[str, int] = {}

    async def get_or_add(
        self, model: type[ModelT], lookup: dict[str, Any], **values: Any
    ) -> ModelT:
        """The ``model`` row matching ``lookup``, created with ``values`` if missing."""
        found = await self.session.scalar(select(model).filter_by(**lookup))
        if found is not None:
            return found
        record = model(**lookup, **values)
        self.session.add(record)
        await self.session.flush()
        table = str(model.__tablename__)
        self.created[table] = self.created.get(table, 0) + 1
        return record

    async def user(self, email: str, name: str, **fields: Any) -> User:
        """The user with ``email``, created if missing (its PIN kept up to date)."""
        user = await users.get_by_email(self.session, email)
        secret = self.settings.pin_hash_secret
        if user is None:
            self.created["users"] = self.created.get("users", 0) + 1
            return await users.create_user(
                self.session, pin_secret=secret, email=email, name=name, **fields
            )
        pin = fields.get("pin")
        if pin is not None and user.voice_pin_hash != users.hash_pin(pin, secret):
            await users.set_pin(self.session, user, pin, pin_secret=secret)
        return user

    async def demo(self, credentials: DemoCredentials) -> User:
        """The demo user, with its current credentials and roles (earlier seeds differ)."""
        demo = await self.user(DEMO_EMAIL, DEMO_NAME, roles=list(credentials.roles))
        secret = self.settings.pin_hash_secret
        if demo.voice_pin_hash != users.hash_pin(credentials.pin, secret):
            # The fixture's 4-digit PIN predates the 6-digit rule, as real old PINs may.
            await users.set_pin(
                self.session, demo, credentials.pin, pin_secret=secret, legacy_length=True
            )
        if not await users.check_password(demo, credentials.password):
            await users.set_password(self.session, demo, credentials.password)
        demo.set_roles(users.parse_roles(credentials.roles))
        return demo


@dataclass(frozen=True, slots=True)
class DemoPeople:
    """The core demo records the domains' seeds attach theirs to."""

    demo: User
    alex: User
    team: Team


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """Today in UTC plus ``days``, at ``hour:minute`` UTC."""
    day = utcnow().date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=utcnow().tzinfo)


async def _people(seed: Seeder, credentials: DemoCredentials) -> DemoPeople:
    demo = await seed.demo(credentials)
    alex = await seed.user(MEMBER_EMAIL, "Alex Rivera", roles=["user", "agent"])
    team = await seed.get_or_add(Team, {"name": DEMO_TEAM}, description="The demo's team.")
    await seed.get_or_add(TeamMember, {"team_id": team.id, "user_id": demo.id}, role=TeamRole.OWNER)
    await seed.get_or_add(
        TeamMember, {"team_id": team.id, "user_id": alex.id}, role=TeamRole.MEMBER
    )
    return DemoPeople(demo, alex, team)


async def _call_center(seed: Seeder, people: DemoPeople, credentials: DemoCredentials) -> None:
    departments = {}
    for name, extension in DEPARTMENTS.items():
        departments[name] = await seed.get_or_add(
            Department, {"name": name}, extension=extension, description=f"{name.title()} desk"
        )
    await seed.get_or_add(
        CallCenterAgent,
        {"user_id": people.alex.id},
        extension="3001",
        department_id=departments["support"].id,
        state=AgentState.LOGGED_OUT,
    )
    demo = await seed.get_or_add(
        CallCenterAgent,
        {"user_id": people.demo.id},
        extension=DEMO_EXTENSION,
        department_id=departments["support"].id,
        sip_username=DEMO_EXTENSION,
        state=AgentState.LOGGED_OUT,
    )
    demo.sip_password = credentials.sip_password  # kept up to date, like the PIN


async def seed_demo(db: Database, settings: Settings) -> SeedReport:
    """Create the demo data, or complete it, in one transaction (idempotent).

    Args:
        db: A migrated database.
        settings: Supplies ``pin_hash_secret`` and the environment (see
            :func:`demo_credentials`).

    Returns:
        The demo user's id and what was created.

    Raises:
        ConfigurationError: In production.
        DuplicateError: Another user already holds the demo PIN.
    """
    credentials = demo_credentials(settings)
    async with db.session() as session:
        seed = Seeder(session, settings)
        people = await _people(seed, credentials)
        await _call_center(seed, people, credentials)
        for _domain, module in optional_modules("seed"):
            await module.seed(seed, people)
        report = SeedReport(demo_user_id=people.demo.id, created=seed.created)
    logger.info(
        f"demo user {DEMO_EMAIL}: PIN {credentials.pin}, password {credentials.password}"
        f" ({settings.environment} only)"
    )
    return report
