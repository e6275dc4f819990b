"""Helpers shared by the tool groups: the caller's user, dates, finding items by name."""

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mcp.server.fastmcp.exceptions import ToolError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.storage.models import TeamMember, TeamRole, User
from convonet.tools.scope import ToolScope

T = TypeVar("T")


async def load_user(session: AsyncSession, scope: ToolScope) -> User:
    """The user a call acts as.

    Raises:
        ToolError: The user does not exist (deleted, or a forged identity).
    """
    user = await session.get(User, scope.user_id)
    if user is None or not user.is_active:
        raise ToolError("your account was not found; please sign in again")
    return user


def user_zone(user: User) -> tzinfo:
    """The user's timezone (UTC when unknown)."""
    try:
        return ZoneInfo(user.timezone or "UTC")
    except ZoneInfoNotFoundError:
        return ZoneInfo("UTC")


def parse_datetime(value: str, zone: tzinfo) -> datetime:
    """Parse an ISO 8601 date-time; a value without an offset is in ``zone``.

    Raises:
        ToolError: Not an ISO date-time.
    """
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ToolError(f"{value!r} is not a date-time like 2026-05-04T15:30") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def parse_date(value: str) -> date:
    """Parse an ISO 8601 date (``YYYY-MM-DD``; a date-time's date part is accepted).

    Raises:
        ToolError: Not an ISO date.
    """
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ToolError(f"{value!r} is not a date like 2026-05-04") from None


def parse_time(value: str) -> time:
    """Parse ``HH:MM`` (24 h).

    Raises:
        ToolError: Not a time.
    """
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise ToolError(f"{value!r} is not a time like 19:30") from None


def parse_due(value: str | None, zone: tzinfo) -> datetime | None:
    """A due date: a bare date means the end of that day in ``zone``."""
    if value is None or not value.strip():
        return None
    if len(value.strip()) == 10:
        return datetime.combine(parse_date(value), time(23, 59), tzinfo=zone)
    return parse_datetime(value, zone)


def pick_one(rows: Sequence[T], *, title: str | None, label: Callable[[T], str], kind: str) -> T:
    """Choose the one row a caller named: exact title first, then by substring.

    Raises:
        ToolError: Nothing or several rows match (the message lists them).
    """
    if title is None or not title.strip():
        raise ToolError(f"say which {kind}: give its id or its title")
    wanted = title.strip().casefold()
    exact = [row for row in rows if label(row).casefold() == wanted]
    matches = exact or [row for row in rows if wanted in label(row).casefold()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ToolError(f"no {kind} matches {title!r}")
    names = ", ".join(repr(label(row)) for row in matches[:5])
    raise ToolError(f"several {kind}s match {title!r}: {names}; which one?")


def iso(value: datetime | date | None) -> str | None:
    """ISO text of a date/time, or ``None``."""
    return value.isoformat() if value is not None else None


def clean(value: str | None, limit: int = 500) -> str:
    """Trim free text from the caller and bound its length."""
    return (value or "").strip()[:limit]


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop ``None`` values from a result object."""
    return {key: value for key, value in data.items() if value is not None}


def local_iso(value: datetime | None, zone: tzinfo) -> str | None:
    """ISO text of a stored (UTC) date-time in the caller's zone, or ``None``."""
    return value.astimezone(zone).isoformat() if value is not None else None


async def team_roles(session: AsyncSession, user: User) -> dict[str, TeamRole]:
    """The caller's role in each team they belong to, by team id."""
    rows = await session.execute(
        select(TeamMember.team_id, TeamMember.role).where(TeamMember.user_id == user.id)
    )
    return {team_id: role for team_id, role in rows.all()}


def check_range(value: float, low: float, high: float, what: str) -> None:
    """Refuse a number outside ``low``..``high`` (inclusive) with a readable sentence.

    Raises:
        ToolError: ``value`` is out of range (or not a finite number).
    """
    if not (math.isfinite(value) and low <= value <= high):
        raise ToolError(f"{what} must be between {low:g} and {high:g}, not {value:g}")
