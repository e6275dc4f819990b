"""Reminder tools (4): create, list, change and delete the caller's reminders.

Reminders are personal: a caller only ever sees and changes their own. Times are stored in
UTC; ``remind_at`` arguments without an offset are in the caller's timezone, and results
give times in that zone. A reminder must be set for the future; moving it re-arms it (it
will be delivered again).
"""

from datetime import datetime, timedelta, tzinfo
from typing import Annotated, Any

from mcp.server.fastmcp.exceptions import ToolError
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.domains.productivity.models import Reminder
from convonet.storage.models import User, utcnow
from convonet.tools.common import (
    clean,
    compact,
    iso,
    local_iso,
    parse_datetime,
    pick_one,
    user_zone,
)
from convonet.tools.framework import Caller, tool

ReminderId = Annotated[str | None, Field(max_length=64, description="The reminder's id, if known")]
ReminderTitle = Annotated[
    str | None, Field(max_length=500, description="The reminder's title, to find it by name")
]
When = Annotated[str, Field(min_length=1, max_length=40, description="ISO date-time to remind at")]
Notes = Annotated[str, Field(max_length=2000, description="Details")]
# A reminder "for now" may reach the server a little after the moment it names.
GRACE = timedelta(minutes=1)


def reminder_json(reminder: Reminder, zone: tzinfo) -> dict[str, Any]:
    """The result shape of a reminder (times in the caller's zone)."""
    return compact(
        {
            "id": reminder.id,
            "title": reminder.title,
            "description": reminder.notes or "",
            "remind_at": local_iso(reminder.remind_at, zone),
            "recurrence": reminder.recurrence,
            "dismissed": reminder.dismissed,
            "todo_id": reminder.todo_id,
            "created_at": iso(reminder.created_at),
        }
    )


def _future(value: str, zone: tzinfo) -> datetime:
    """Parse ``value`` as a reminder time, which must not be in the past."""
    when = parse_datetime(value, zone)
    if when < utcnow() - GRACE:
        raise ToolError(f"{value!r} is in the past; give a future date and time")
    return when


async def _all(session: AsyncSession, user: User) -> list[Reminder]:
    rows = await session.scalars(
        select(Reminder).where(Reminder.user_id == user.id).order_by(Reminder.remind_at)
    )
    return list(rows.all())


def _upcoming(reminders: list[Reminder], now: datetime) -> list[Reminder]:
    return [r for r in reminders if r.remind_at >= now and not r.dismissed]


async def _find(
    session: AsyncSession, user: User, reminder_id: str | None, title: str | None
) -> Reminder:
    """The caller's reminder named by id, or by title (upcoming ones first)."""
    if reminder_id:
        reminder = await session.get(Reminder, reminder_id)
        if reminder is None or reminder.user_id != user.id:
            raise ToolError(f"no reminder with id {reminder_id!r}")
        return reminder
    reminders = await _all(session, user)
    upcoming = _upcoming(reminders, utcnow())
    if upcoming and len(upcoming) < len(reminders):
        try:
            return pick_one(upcoming, title=title, label=lambda r: r.title, kind="reminder")
        except ToolError:
            pass  # fall back to every reminder, which also words the error
    return pick_one(reminders, title=title, label=lambda r: r.title, kind="reminder")


@tool
async def create_reminder(
    call: Caller,
    title: Annotated[str, Field(min_length=1, max_length=500, description="What to remind")],
    remind_at: When,
    description: Notes = "",
) -> dict[str, Any]:
    """Set a reminder for a future date and time (in the caller's timezone)."""
    session, user = call.session, call.user
    zone = user_zone(user)
    if not clean(title):
        raise ToolError("say what the reminder is about")
    reminder = Reminder(
        user_id=user.id,
        title=clean(title),
        notes=clean(description, 2000) or None,
        remind_at=_future(remind_at, zone),
    )
    session.add(reminder)
    await session.flush()
    return {"reminder": reminder_json(reminder, zone)}


@tool(read_only=True)
async def get_reminders(
    call: Caller,
    include_past: Annotated[bool, Field(description="Also list past or dismissed ones")] = False,
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """List the caller's reminders, soonest first (upcoming only unless include_past)."""
    session, user = call.session, call.user
    reminders = await _all(session, user)
    if not include_past:
        reminders = _upcoming(reminders, utcnow())
    zone = user_zone(user)
    return {
        "reminders": [reminder_json(r, zone) for r in reminders[:limit]],
        "count": len(reminders),
    }


@tool
async def update_reminder(
    call: Caller,
    reminder_id: ReminderId = None,
    title: ReminderTitle = None,
    new_title: Annotated[str | None, Field(max_length=500)] = None,
    remind_at: Annotated[str | None, Field(max_length=40)] = None,
    description: Annotated[str | None, Field(max_length=2000)] = None,
) -> dict[str, Any]:
    """Change a reminder's title, time or description, naming it by id or title."""
    session, user = call.session, call.user
    zone = user_zone(user)
    reminder = await _find(session, user, reminder_id, title)
    if new_title is not None and clean(new_title):
        reminder.title = clean(new_title)
    if description is not None:
        reminder.notes = clean(description, 2000) or None
    if remind_at is not None and remind_at.strip():
        reminder.remind_at = _future(remind_at, zone)
        reminder.sent_at, reminder.dismissed = None, False
    return {"reminder": reminder_json(reminder, zone)}


@tool
async def delete_reminder(
    call: Caller,
    reminder_id: ReminderId = None,
    title: ReminderTitle = None,
) -> dict[str, Any]:
    """Delete a reminder, naming it by id or by title."""
    session, user = call.session, call.user
    reminder = await _find(session, user, reminder_id, title)
    await session.delete(reminder)
    return {"deleted": reminder_json(reminder, user_zone(user))}
