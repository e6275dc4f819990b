"""Users, roles, teams, todos, reminders and calendar events: round trips and constraints."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from convonet.domains.productivity.models import CalendarEvent, Priority, Reminder, Todo
from convonet.storage.db import Database
from convonet.storage.models import Role, Team, TeamMember, TeamRole, User, UserRole

NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


async def _user(db: Database, email: str = "ann@example.com", **fields: object) -> User:
    async with db.session() as session:
        user = User(email=email, name="Ann", **fields)
        user.set_roles({Role.USER})
        session.add(user)
    return user


async def test_user_round_trip_with_roles(database: Database) -> None:
    async with database.session() as session:
        user = User(
            email="ann@example.com", name="Ann", phone="+15550001111", timezone="Europe/Paris"
        )
        user.set_roles({Role.ADMIN, Role.USER})
        session.add(user)
    async with database.session() as session:
        loaded = await session.get_one(User, user.id)
        assert (loaded.email, loaded.name, loaded.phone) == (
            "ann@example.com",
            "Ann",
            "+15550001111",
        )
        assert loaded.roles == ["admin", "user"]
        assert loaded.has_role(Role.ADMIN) and not loaded.has_role(Role.AGENT)
        assert loaded.is_active and loaded.timezone == "Europe/Paris"
        assert loaded.created_at.tzinfo is not None and loaded.created_at.utcoffset() == timedelta(
            0
        )
        loaded.set_roles({Role.SUPERVISOR})
    async with database.session() as session:
        assert (await session.get_one(User, user.id)).roles == ["supervisor"]
        assert await session.scalar(select(func.count()).select_from(UserRole)) == 1


@pytest.mark.parametrize("column", ["email", "phone", "voice_pin_hash"])
async def test_user_unique_columns(database: Database, column: str) -> None:
    value = {"email": "dup@example.com", "phone": "+15550002222", "voice_pin_hash": "ab" * 32}
    await _user(database, "one@example.com", **{k: v for k, v in value.items() if k != "email"})
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            fields = {column: value[column]}
            if column != "email":
                fields["email"] = "two@example.com"
            else:
                fields["email"] = "one@example.com"
            session.add(User(name="Dup", **fields))


async def test_many_users_without_phone_or_pin(database: Database) -> None:
    for index in range(3):
        await _user(database, f"u{index}@example.com")
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 3


async def test_role_values_are_checked_by_the_database(database: Database) -> None:
    user = await _user(database)
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            await session.execute(
                text("INSERT INTO user_roles (user_id, role) VALUES (:id, 'emperor')"),
                {"id": user.id},
            )


async def test_team_membership_and_cascades(database: Database) -> None:
    owner, member = await _user(database, "o@example.com"), await _user(database, "m@example.com")
    async with database.session() as session:
        team = Team(name="Blue", description="blue team")
        session.add(team)
        await session.flush()
        session.add_all(
            [
                TeamMember(team_id=team.id, user_id=owner.id, role=TeamRole.OWNER),
                TeamMember(team_id=team.id, user_id=member.id),
            ]
        )
        session.add(Todo(user_id=owner.id, team_id=team.id, assignee_id=member.id, title="t"))
    async with database.session() as session:
        roles = dict((await session.execute(select(TeamMember.user_id, TeamMember.role))).all())
        assert roles == {owner.id: TeamRole.OWNER, member.id: TeamRole.MEMBER}
        await session.execute(delete(User).where(User.id == member.id))
    async with database.session() as session:
        todo = await session.scalar(select(Todo))
        assert todo is not None and todo.assignee_id is None and todo.team_id == team.id
        assert await session.scalar(select(func.count()).select_from(TeamMember)) == 1
        await session.execute(delete(Team))
    async with database.session() as session:
        todo = await session.scalar(select(Todo))
        assert todo is not None and todo.team_id is None  # the todo stays, now personal
        assert await session.scalar(select(func.count()).select_from(TeamMember)) == 0


async def test_team_member_once_per_team(database: Database) -> None:
    user = await _user(database)
    async with database.session() as session:
        team = Team(name="Solo")
        session.add(team)
        await session.flush()
        session.add(TeamMember(team_id=team.id, user_id=user.id))
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(TeamMember(team_id=team.id, user_id=user.id, role=TeamRole.VIEWER))


async def test_todo_reminder_event_round_trip(database: Database) -> None:
    user = await _user(database)
    paris = timezone(timedelta(hours=1))
    async with database.session() as session:
        todo = Todo(
            user_id=user.id,
            title="Pay rent",
            description="by transfer",
            priority=Priority.URGENT,
            due_at=datetime(2026, 3, 4, 13, 0, tzinfo=paris),
        )
        session.add(todo)
        await session.flush()
        session.add(
            Reminder(
                user_id=user.id,
                todo_id=todo.id,
                title="Rent!",
                remind_at=NOON,
                recurrence="FREQ=MONTHLY",
            )
        )
        session.add(
            CalendarEvent(
                user_id=user.id,
                title="Dentist",
                location="Main St",
                start_at=NOON,
                end_at=NOON + timedelta(hours=1),
                google_event_id="g-123",
            )
        )
    async with database.session() as session:
        loaded = await session.get_one(Todo, todo.id)
        assert loaded.due_at == NOON and loaded.due_at.tzinfo is not None  # 13:00+01 is 12:00Z
        assert (loaded.priority, loaded.completed, loaded.completed_at) == (
            Priority.URGENT,
            False,
            None,
        )
        reminder = await session.scalar(select(Reminder))
        event = await session.scalar(select(CalendarEvent))
        assert reminder is not None and reminder.remind_at == NOON and not reminder.dismissed
        assert event is not None and event.end_at - event.start_at == timedelta(hours=1)
        assert event.google_event_id == "g-123" and not event.all_day
        await session.execute(delete(Todo))
    async with database.session() as session:
        reminder = await session.scalar(select(Reminder))
        assert reminder is not None and reminder.todo_id is None  # reminder outlives its todo


async def test_naive_datetimes_are_refused(database: Database) -> None:
    user = await _user(database)
    with pytest.raises(StatementError, match="naive datetime"):
        async with database.session() as session:
            session.add(Reminder(user_id=user.id, title="x", remind_at=datetime(2026, 1, 1)))


async def test_event_must_not_end_before_it_starts(database: Database) -> None:
    user = await _user(database)
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(
                CalendarEvent(
                    user_id=user.id, title="x", start_at=NOON, end_at=NOON - timedelta(minutes=1)
                )
            )


async def test_google_event_id_unique_per_user(database: Database) -> None:
    user = await _user(database)
    event = {"title": "x", "start_at": NOON, "end_at": NOON}
    async with database.session() as session:
        session.add_all(
            [CalendarEvent(user_id=user.id, **event), CalendarEvent(user_id=user.id, **event)]
        )  # NULL ids don't collide
        session.add(CalendarEvent(user_id=user.id, google_event_id="g", **event))
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(CalendarEvent(user_id=user.id, google_event_id="g", **event))


async def test_deleting_a_user_deletes_what_they_own(database: Database) -> None:
    user = await _user(database)
    async with database.session() as session:
        session.add(Todo(user_id=user.id, title="t"))
        session.add(Reminder(user_id=user.id, title="r", remind_at=NOON))
        session.add(CalendarEvent(user_id=user.id, title="e", start_at=NOON, end_at=NOON))
    async with database.session() as session:
        await session.delete(await session.get_one(User, user.id))
    async with database.session() as session:
        for model in (Todo, Reminder, CalendarEvent, UserRole):
            assert await session.scalar(select(func.count()).select_from(model)) == 0, model


async def test_sql_text_is_stored_verbatim(database: Database) -> None:
    name = "Robert'); DROP TABLE users;--"
    user = await _user(database, "bobby@example.com")
    async with database.session() as session:
        session.add(Todo(user_id=user.id, title=name, description="' OR 1=1 --"))
    async with database.session() as session:
        todo = await session.scalar(select(Todo).where(Todo.title == name))
        assert todo is not None and todo.description == "' OR 1=1 --"
        assert await session.scalar(select(func.count()).select_from(User)) == 1
