"""The demo seed: what it creates, and that running it again changes nothing."""

from pydantic import SecretStr
from sqlalchemy import func, select

from convonet.domains.healthcare.models import Patient
from convonet.domains.mortgage.models import MortgageApplication, MortgageDocument
from convonet.domains.productivity.models import CalendarEvent, Reminder, Todo
from convonet.domains.restaurant.models import RestaurantTable
from convonet.settings import Settings
from convonet.storage import users
from convonet.storage.db import Database
from convonet.storage.models import (
    Base,
    CallCenterAgent,
    Department,
    Team,
    TeamMember,
    TeamRole,
    User,
)
from convonet.storage.seed import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_PIN,
    DEMO_SIP_PASSWORD,
    seed_demo,
)


async def _counts(db: Database) -> dict[str, int]:
    async with db.session() as session:
        return {
            name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in Base.metadata.tables.items()
        }


async def test_seed_creates_the_demo_world(database: Database, db_settings: Settings) -> None:
    report = await seed_demo(database, db_settings)
    assert report.total_created == sum(report.created.values()) > 0
    secret = db_settings.pin_hash_secret
    async with database.session() as session:
        demo = await users.find_by_pin(session, DEMO_PIN, pin_secret=secret)
        assert demo is not None and demo.id == report.demo_user_id
        assert (demo.email, demo.name, demo.roles) == (DEMO_EMAIL, "Demo User", ["admin", "user"])
        assert await users.check_password(demo, DEMO_PASSWORD)
        team = await session.scalar(select(Team))
        assert team is not None
        roles = {
            m.user_id: m.role
            for m in (await session.scalars(select(TeamMember).filter_by(team_id=team.id)))
        }
        assert roles[demo.id] is TeamRole.OWNER and len(roles) == 2
        desk = await session.scalar(select(CallCenterAgent).filter_by(user_id=demo.id))
        assert desk is not None  # the demo user answers the support desk from the dashboard
        assert (desk.extension, desk.sip_username, desk.sip_password) == (
            "2001", "2001", DEMO_SIP_PASSWORD,
        )  # fmt: skip
        extensions = dict(
            (await session.execute(select(Department.name, Department.extension))).all()
        )
        assert extensions == {"support": "2001", "sales": "2002", "billing": "2003"}
        todos = (await session.scalars(select(Todo).filter_by(user_id=demo.id))).all()
        assert len(todos) >= 3 and any(todo.team_id == team.id for todo in todos)
        application = await session.scalar(select(MortgageApplication).filter_by(user_id=demo.id))
        assert application is not None
        documents = (
            await session.scalars(select(MortgageDocument).filter_by(application_id=application.id))
        ).all()
        assert {"w2", "pay_stubs", "bank_statements"} <= {d.doc_type for d in documents}
        for model in (Reminder, CalendarEvent, Patient, CallCenterAgent):
            assert (await session.scalar(select(func.count()).select_from(model)) or 0) >= 1, model
        assert (await session.scalar(select(func.count()).select_from(RestaurantTable)) or 0) >= 4


async def test_seed_is_idempotent(database: Database, db_settings: Settings) -> None:
    first = await seed_demo(database, db_settings)
    counts = await _counts(database)
    second = await seed_demo(database, db_settings)
    assert second.created == {} and second.demo_user_id == first.demo_user_id
    assert await _counts(database) == counts


async def test_reseeding_after_a_secret_change_rehashes_the_demo_pin(
    database: Database, db_settings: Settings
) -> None:
    await seed_demo(database, db_settings)
    rotated = db_settings.model_copy(update={"pin_hash_secret": SecretStr("rotated-secret")})
    assert (await seed_demo(database, rotated)).created == {}
    async with database.session() as session:
        demo = await users.find_by_pin(session, DEMO_PIN, pin_secret=rotated.pin_hash_secret)
        assert demo is not None and demo.email == DEMO_EMAIL
        old = await users.find_by_pin(session, DEMO_PIN, pin_secret=db_settings.pin_hash_secret)
        assert old is None
        assert await session.scalar(select(func.count()).select_from(User)) == 2
