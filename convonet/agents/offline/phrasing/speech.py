"""Saying things aloud: dates, times, money and short lists, the way a person would."""

from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from typing import Any


def parse_moment(value: Any, zone: tzinfo | None = None) -> datetime | None:
    """A local wall-clock datetime from an ISO string.

    Args:
        value: ISO 8601 text, with or without an offset.
        zone: The caller's timezone; a value with an offset is converted to it (tools may
            answer in UTC). Without a zone, the offset is dropped.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if found.tzinfo is not None and zone is not None:
        found = found.astimezone(zone)
    return found.replace(tzinfo=None)


def clock(value: datetime) -> str:
    """Say a clock time: "7 PM", "7:30 AM", "noon", "midnight"."""
    if (value.hour, value.minute) == (12, 0):
        return "noon"
    if (value.hour, value.minute) == (0, 0):
        return "midnight"
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes} {'AM' if value.hour < 12 else 'PM'}"


def time_of_day(value: Any) -> str:
    """An ``HH:MM`` time said aloud ("18:30" → "6:30 PM")."""
    found = parse_moment(f"2000-01-01T{value}")
    return clock(found) if found else str(value)


def day(value: date, now: datetime | None = None) -> str:
    """Say a day: "today", "tomorrow", "Friday", or "Friday, May 15" (further away)."""
    if now is not None:
        ahead = (value - now.date()).days
        if ahead == 0:
            return "today"
        if ahead == 1:
            return "tomorrow"
        if 1 < ahead < 7:
            return f"{value:%A}"
    return f"{value:%A}, {value:%B} {value.day}"


def moment(value: Any, now: datetime | None = None, *, on: bool = False) -> str:
    """A date or datetime string said aloud ("tomorrow at 9 AM", "Friday, May 15").

    Args:
        value: ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM[:SS]`` (an offset is converted to the
            timezone of ``now``, when it has one).
        now: The caller's time, for "today" and "tomorrow".
        on: Put "on" before a weekday or date ("on Friday at 7 PM"; "tomorrow at 7 PM").
    """
    found = parse_moment(value, now.tzinfo if now else None)
    if found is None:
        return str(value) if value else ""
    said = day(found.date(), now)
    if on and said not in ("today", "tomorrow"):
        said = f"on {said}"
    date_only = isinstance(value, str) and "T" not in value and " " not in value.strip()
    if date_only or (found.hour, found.minute) == (23, 59):  # 23:59 stands for "that day"
        return said
    return f"{said} at {clock(found)}"


def date_and_time(
    date_value: Any, time_value: Any, now: datetime | None = None, *, on: bool = False
) -> str:
    """A separate ``date`` and ``time`` (restaurant style) said together."""
    if date_value and time_value:
        return moment(f"{date_value}T{time_value}", now, on=on)
    return moment(date_value, now, on=on) if date_value else str(time_value or "")


def birthday(value: Any) -> str:
    """A date of birth said aloud: "March 3, 1985"."""
    found = parse_moment(value)
    return f"{found:%B} {found.day}, {found.year}" if found else str(value)


def article(noun: str) -> str:
    """Put an article before a noun: "a member", "an admin"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def the_team(name: str) -> str:
    """Name a team: "the marketing team" (not "the marketing team team")."""
    return name if name.lower().endswith("team") else f"the {name} team"


def money(value: Any) -> str:
    """Say an amount of money: "$350,000", "$1,896.20"."""
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return str(value)
    if amount >= 100 or amount == int(amount):
        return f"${amount:,.0f}"
    return f"${amount:,.2f}"


def percent(value: Any) -> str:
    """Say a rate: "6.5%"."""
    try:
        return f"{float(value):g}%"
    except (TypeError, ValueError):
        return str(value)


def listing(items: Sequence[str], limit: int = 5, word: str = "and") -> str:
    """Say a list: "a", "a and b", "a, b, and c", "a, b, c, d, e, and 3 more"."""
    items = [i for i in items if i]
    if len(items) > limit:
        items = [*items[:limit], f"{len(items) - limit} more"]
    if len(items) <= 2:
        return f" {word} ".join(items)
    return f"{', '.join(items[:-1])}, {word} {items[-1]}"


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """Count things: "1 to-do", "3 to-dos"."""
    return f"{count} {noun if count == 1 else plural_form or noun + 's'}"


def spell(code: Any) -> str:
    """A code spelled out for speech: "ABC123" → "A B C 1 2 3"."""
    return " ".join(str(code).replace(" ", ""))
