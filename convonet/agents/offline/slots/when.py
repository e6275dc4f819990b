"""When something should happen: a day and a time of day, resolved against the caller's now.

"next Friday at 7pm", "tomorrow morning", "7:30 tonight", "in two hours", "on March 3rd at
noon". ``now`` is the caller's wall-clock time (naive); results are naive local datetimes, the
form the tools take (ISO 8601 in the user's timezone).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from convonet.agents.offline.slots.clock import (
    PART_TIMES,
    duration_minutes,
    find_clock,
    part_of_day,
    to_24h,
)
from convonet.agents.offline.slots.days import Span, find_day

_OFFSET = re.compile(
    r"\b(?:in|within)\s+(?:about\s+|another\s+)?(half an?|an?|\d+(?:\.\d+)?)\s+"
    r"(minutes?|mins?|hours?|hrs?|days?|weeks?)(\s+and\s+a\s+half)?\b"
    r"|\b(\d+|a)\s+(days?|weeks?)\s+from\s+(?:now|today)\b"
)
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


@dataclass(frozen=True, slots=True)
class When:
    """A day and a time of day, as far as the caller said them.

    Attributes:
        day: The day, if one was said (or implied, as by "tonight").
        clock: The time of day, if one was said.
        vague: The time only comes from a part of the day ("this evening" → 18:00).
        flexible: The hour was said without am/pm and may be moved to the afternoon if the
            morning hour has already passed ("at 9" said at 10 am means 9 pm).
        spans: Where the day and time were said, for cutting them out of titles.
    """

    day: date | None = None
    clock: time | None = None
    vague: bool = False
    flexible: bool = False
    spans: tuple[Span, ...] = ()


def _offset(text: str, now: datetime) -> tuple[timedelta, bool, Span] | None:
    """Find an offset ("in 2 hours", "3 days from now"): ``(delta, has_time, span)``."""
    match = _OFFSET.search(text)
    if match is None:
        return None
    amount, unit = (match.group(1), match.group(2)) if match.group(1) else match.group(4, 5)
    value = {"half an": 0.5, "half a": 0.5, "an": 1.0, "a": 1.0}.get(amount)
    value = float(amount) if value is None else value
    value += 0.5 if match.group(3) else 0.0
    if unit.startswith("w"):
        value, unit = value * 7, "d"
    delta = _UNITS[unit[0]] * value
    return delta, unit[0] in "mh", match.span()


def _with_offset(text: str, now: datetime, *, evening: bool) -> When | None:
    found = _offset(text, now)
    if found is None:
        return None
    delta, has_time, span = found
    moment = now + delta
    if has_time:
        return When(moment.date(), moment.time().replace(second=0, microsecond=0), spans=(span,))
    rest = find_when(text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :], now)
    return When(moment.date(), rest.clock, rest.vague, rest.flexible, (span, *rest.spans))


def find_when(text: str, now: datetime, *, evening: bool = False) -> When:
    """Find the day and time said in a prepared text.

    Args:
        text: Lower-case, numerised words.
        now: The caller's current wall-clock time.
        evening: Read hours without am/pm as evening hours (dinner reservations).

    Returns:
        What was said; fields are ``None`` when not said.
    """
    offset = _with_offset(text, now, evening=evening)
    if offset is not None:
        return offset
    day = find_day(text, now.date())
    clock = find_clock(text)
    part = part_of_day(text)
    spans = [s for s in (day and day.span, clock and clock.span, part and part[1]) if s]
    part_name = part[0] if part else None
    day_value = day.value if day else None
    if day_value is None and part is not None and re.match(r"this|tonight", text[part[1][0] :]):
        day_value = now.date()
    if clock is not None:
        at = to_24h(clock, part_name, evening=evening)
        flexible = clock.meridiem is None and part is None and 1 <= clock.hour <= 11
        return When(day_value, at, flexible=flexible, spans=tuple(spans))
    if part_name is not None:
        return When(day_value, PART_TIMES[part_name], vague=True, spans=tuple(spans))
    return When(day_value, spans=tuple(spans))


def resolve(when: When, now: datetime) -> datetime | None:
    """The moment meant: a said time on the said day, else its next occurrence.

    Returns:
        The naive local datetime, or ``None`` when no time of day was said.
    """
    if when.clock is None:
        return None
    day = when.day or now.date()
    moment = datetime.combine(day, when.clock)
    later = moment + timedelta(hours=12)
    if when.flexible and moment <= now < later and later.date() == day:
        moment = later
    if when.day is None and moment <= now:
        moment += timedelta(days=1)
    return moment


def parse_datetime(text: str, now: datetime, *, evening: bool = False) -> datetime | None:
    """Convenience: prepare ``text`` and resolve the moment it names, if any."""
    from convonet.agents.offline.slots.utterance import prepare

    return resolve(find_when(prepare(text).text, now, evening=evening), now)


def iso_date(value: date) -> str:
    """``YYYY-MM-DD``."""
    return value.isoformat()


def iso_time(value: time) -> str:
    """``HH:MM`` (24 h)."""
    return value.strftime("%H:%M")


def iso_datetime(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM``."""
    return value.isoformat(timespec="minutes")


__all__ = [
    "When",
    "duration_minutes",
    "find_when",
    "iso_date",
    "iso_datetime",
    "iso_time",
    "parse_datetime",
    "resolve",
]
