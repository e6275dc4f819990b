"""Productivity demo data: two to-dos and a team task, a reminder, a team stand-up."""

from convonet.domains.productivity.models import CalendarEvent, Priority, Reminder, Todo
from convonet.storage.seed import DemoPeople, Seeder, at


async def seed(seed: Seeder, people: DemoPeople) -> None:
    """Add the demo user's to-dos, reminder and calendar event (idempotent)."""
    owner = {"user_id": people.demo.id}
    await seed.get_or_add(
        Todo,
        {**owner, "title": "Call the bank about the mortgage rate"},
        priority=Priority.HIGH,
        due_at=at(1, 17),
    )
    await seed.get_or_add(Todo, {**owner, "title": "Buy groceries"}, priority=Priority.MEDIUM)
    await seed.get_or_add(
        Todo,
        {**owner, "title": "Prepare the team stand-up notes"},
        team_id=people.team.id,
        assignee_id=people.alex.id,
        priority=Priority.LOW,
        due_at=at(1, 9),
    )
    await seed.get_or_add(
        Reminder, {**owner, "title": "Take your vitamins"}, remind_at=at(1, 8, 30)
    )
    await seed.get_or_add(
        CalendarEvent,
        {**owner, "title": "Team stand-up"},
        team_id=people.team.id,
        location="Conference room B",
        start_at=at(1, 10),
        end_at=at(1, 10, 30),
    )
