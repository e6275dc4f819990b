"""Calendar tools (6): the caller's events, plus the status of Google Calendar sync.

A caller sees their own events and those of the teams they belong to; they may change their
own events and, as a team owner or admin, their team's. Times are stored in UTC; arguments
without an offset are in the caller's timezone and results are given in that zone. A bare
date as ``start`` makes an all-day event.

Google Calendar: mirroring needs a per-user Google OAuth connection, and Convonet has no
Google OAuth setting or token store yet. Until it does, the two Google tools report honestly
that Google is not connected (``status: "not_configured"``); events live in the Convonet
calendar only. This is the real state of the system, not a placeholder result.
"""

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any

from mcp.server.fastmcp.exceptions import ToolError
from pydantic import Field
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.domains.productivity.models import CalendarEvent
from convonet.storage.models import TeamRole, User
from convonet.tools.common import (
    clean,
    compact,
    iso,
    local_iso,
    parse_date,
    parse_datetime,
    pick_one,
    team_roles,
    user_zone,
)
from convonet.tools.framework import Caller, tool

EventId = Annotated[str | None, Field(max_length=64, description="The event's id, if known")]
EventTitle = Annotated[
    str | None, Field(max_length=500, description="The event's title, to find it by name")
]
Moment = Annotated[
    str | None, Field(max_length=40, description="ISO date-time (or a date for all day)")
]
Day = Annotated[str | None, Field(max_length=40, description="A date, YYYY-MM-DD")]
MANAGERS = (TeamRole.OWNER, TeamRole.ADMIN)
DEFAULT_LENGTH = timedelta(hours=1)
DEFAULT_RANGE = timedelta(days=7)
MAX_LISTED = 100
NOT_CONNECTED = "Google Calendar is not connected; events are kept in the Convonet calendar."


def event_json(event: CalendarEvent, zone: tzinfo) -> dict[str, Any]:
    """The result shape of an event (times in the caller's zone)."""
    return compact(
        {
            "id": event.id,
            "title": event.title,
            "description": event.description or "",
            "location": event.location or "",
            "start": local_iso(event.start_at, zone),
            "end": local_iso(event.end_at, zone),
            "all_day": event.all_day,
            "team_id": event.team_id,
            "created_at": iso(event.created_at),
        }
    )


def _is_date(value: str) -> bool:
    return len(value.strip()) == 10


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def _start(value: str, zone: tzinfo) -> tuple[datetime, bool]:
    """A start time and whether it is all-day (a bare date)."""
    if _is_date(value):
        return _midnight(parse_date(value), zone), True
    return parse_datetime(value, zone), False


def _end(value: str | None, start: datetime, all_day: bool, zone: tzinfo) -> datetime:
    """An end time (a bare date means the end of that day), never before ``start``."""
    if value is None or not value.strip():
        end = start + (timedelta(days=1) if all_day else DEFAULT_LENGTH)
    elif _is_date(value):
        end = _midnight(parse_date(value) + timedelta(days=1), zone)
    else:
        end = parse_datetime(value, zone)
    if end < start:
        raise ToolError("the event cannot end before it starts")
    return end


def _window(
    start_date: str | None, end_date: str | None, zone: tzinfo
) -> tuple[datetime, datetime]:
    """The listed range: from ``start_date`` (today) to the end of ``end_date`` (or 7 days)."""
    first = parse_date(start_date) if start_date else datetime.now(zone).date()
    low = _midnight(first, zone)
    if not end_date:
        return low, low + DEFAULT_RANGE
    last = parse_date(end_date)
    if last < first:
        raise ToolError("the end date is before the start date")
    return low, _midnight(last + timedelta(days=1), zone)


async def _visible(
    session: AsyncSession, user: User, low: datetime | None = None, high: datetime | None = None
) -> list[CalendarEvent]:
    teams = await team_roles(session, user)
    query = select(CalendarEvent).where(
        or_(CalendarEvent.user_id == user.id, CalendarEvent.team_id.in_(list(teams)))
    )
    if low is not None and high is not None:
        query = query.where(
            CalendarEvent.start_at < high,
            or_(CalendarEvent.end_at > low, CalendarEvent.start_at >= low),
        )
    rows = await session.scalars(query.order_by(CalendarEvent.start_at, CalendarEvent.title))
    return list(rows.all())


async def _find(
    session: AsyncSession, user: User, event_id: str | None, title: str | None
) -> CalendarEvent:
    """A visible event named by id or title (upcoming ones first), which the caller may change."""
    events = await _visible(session, user)
    if event_id:
        event = next((e for e in events if e.id == event_id), None)
        if event is None:
            raise ToolError(f"no calendar event with id {event_id!r}")
    else:
        now = datetime.now(user_zone(user))
        upcoming = [e for e in events if e.end_at >= now]
        try:
            event = pick_one(upcoming, title=title, label=lambda e: e.title, kind="event")
        except ToolError:
            event = pick_one(events, title=title, label=lambda e: e.title, kind="event")
    if event.user_id != user.id:
        roles = await team_roles(session, user)
        if event.team_id is None or roles.get(event.team_id) not in MANAGERS:
            raise ToolError("only the event's creator or a team owner or admin may change it")
    return event


def _reschedule(event: CalendarEvent, start: str | None, end: str | None, zone: tzinfo) -> None:
    """Move an event; a new start without an end keeps the length (unless all-day changes)."""
    if start is not None and start.strip():
        new_start, all_day = _start(start, zone)
        if end is None or not end.strip():
            if all_day == event.all_day:
                new_end = new_start + (event.end_at - event.start_at)
            else:
                new_end = _end(None, new_start, all_day, zone)
            event.start_at, event.end_at, event.all_day = new_start, new_end, all_day
            return
        event.start_at, event.all_day = new_start, all_day
    if end is not None and end.strip():
        event.end_at = _end(end, event.start_at, event.all_day, zone)


@tool
async def create_calendar_event(
    call: Caller,
    title: Annotated[str, Field(min_length=1, max_length=500, description="What it is")],
    start: Annotated[str, Field(min_length=1, max_length=40, description="ISO date-time")],
    end: Moment = None,
    location: Annotated[str, Field(max_length=500)] = "",
    description: Annotated[str, Field(max_length=2000)] = "",
) -> dict[str, Any]:
    """Add an event to the caller's calendar (one hour long unless an end is given)."""
    session, user = call.session, call.user
    zone = user_zone(user)
    if not clean(title):
        raise ToolError("say what the event is")
    begins, all_day = _start(start, zone)
    event = CalendarEvent(
        user_id=user.id,
        title=clean(title),
        description=clean(description, 2000) or None,
        location=clean(location) or None,
        start_at=begins,
        end_at=_end(end, begins, all_day, zone),
        all_day=all_day,
    )
    session.add(event)
    await session.flush()
    return {"event": event_json(event, zone)}


@tool(read_only=True)
async def get_calendar_events(
    call: Caller,
    start_date: Day = None,
    end_date: Day = None,
) -> dict[str, Any]:
    """List events from start_date (default today) through end_date (default 7 days on)."""
    session, user = call.session, call.user
    zone = user_zone(user)
    low, high = _window(start_date, end_date, zone)
    events = await _visible(session, user, low, high)
    return {
        "events": [event_json(e, zone) for e in events[:MAX_LISTED]],
        "count": len(events),
    }


@tool
async def update_calendar_event(
    call: Caller,
    event_id: EventId = None,
    title: EventTitle = None,
    new_title: Annotated[str | None, Field(max_length=500)] = None,
    start: Moment = None,
    end: Moment = None,
    location: Annotated[str | None, Field(max_length=500)] = None,
    description: Annotated[str | None, Field(max_length=2000)] = None,
) -> dict[str, Any]:
    """Change an event's title, time, place or description, naming it by id or title."""
    session, user = call.session, call.user
    zone = user_zone(user)
    event = await _find(session, user, event_id, title)
    if new_title is not None and clean(new_title):
        event.title = clean(new_title)
    if location is not None:
        event.location = clean(location) or None
    if description is not None:
        event.description = clean(description, 2000) or None
    _reschedule(event, start, end, zone)
    return {"event": event_json(event, zone)}


@tool
async def delete_calendar_event(
    call: Caller,
    event_id: EventId = None,
    title: EventTitle = None,
) -> dict[str, Any]:
    """Delete an event, naming it by id or by title."""
    session, user = call.session, call.user
    event = await _find(session, user, event_id, title)
    await session.delete(event)
    return {"deleted": event_json(event, user_zone(user))}


@tool
async def sync_google_calendar_events(_call: Caller) -> dict[str, Any]:
    """Sync with Google Calendar (reports that Google is not connected, when it is not)."""
    return {"status": "not_configured", "message": NOT_CONNECTED}


@tool
async def test_google_calendar(_call: Caller) -> dict[str, Any]:
    """Check whether Google Calendar is connected for the caller."""
    return {"configured": False, "status": "not_configured", "message": NOT_CONNECTED}
