"""Demo data (``convonet db seed-demo``): a demo user with a known PIN, a team, sample records.

The core records (people, departments) are made here; each domain adds its own through its
``seed`` module (``async seed(seeder, people)``).

Idempotent: every record is looked up by a natural key first, so running it again creates
nothing new (it only re-hashes the demo PIN if ``pin_hash_secret`` changed).
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.domains.registry import optional_modules
from convonet.settings import Settings
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
DEMO_PASSWORD = "demo-password"
DEMO_PIN = "1234"
DEMO_TEAM = "Demo Team"
MEMBER_EMAIL = "alex@convonet.local"
DEPARTMENTS = {"support": "2001", "sales": "2002", "billing": "2003"}
ModelT = TypeVar("ModelT", bound=Base)


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


async def _demo_user(seed: Seeder) -> User:
    return await seed.user(
        DEMO_EMAIL,
        DEMO_NAME,
        password=DEMO_PASSWORD,
        pin=DEMO_PIN,
        roles=["user", "admin"],
    )


async def _people(seed: Seeder) -> DemoPeople:
    demo = await _demo_user(seed)
    alex = await seed.user(MEMBER_EMAIL, "Alex Rivera", roles=["user", "agent"])
    team = await seed.get_or_add(Team, {"name": DEMO_TEAM}, description="The demo's team.")
    await seed.get_or_add(TeamMember, {"team_id": team.id, "user_id": demo.id}, role=TeamRole.OWNER)
    await seed.get_or_add(
        TeamMember, {"team_id": team.id, "user_id": alex.id}, role=TeamRole.MEMBER
    )
    return DemoPeople(demo, alex, team)


async def _call_center(seed: Seeder, people: DemoPeople) -> None:
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
        state=AgentState.OFFLINE,
    )


async def seed_demo(db: Database, settings: Settings) -> SeedReport:
    """Create the demo data, or complete it, in one transaction (idempotent).

    Args:
        db: A migrated database.
        settings: Supplies ``pin_hash_secret`` for the demo PIN.

    Returns:
        The demo user's id and what was created.

    Raises:
        DuplicateError: Another user already holds the demo PIN.
    """
    async with db.session() as session:
        seed = Seeder(session, settings)
        people = await _people(seed)
        await _call_center(seed, people)
        for _domain, module in optional_modules("seed"):
            await module.seed(seed, people)
        return SeedReport(demo_user_id=people.demo.id, created=seed.created)
