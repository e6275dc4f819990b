"""Calendar days as callers say them: "tomorrow", "next Friday", "March 3rd", "3/14", ranges.

Every function reads a prepared (lower-case, numerised) text and resolves against ``today``.
Conventions: a bare or "this" weekday is the next such day, today included; "next <weekday>" is
the next such day after today; a month and day without a year is the next such date; slashes
are US order (month/day).
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from convonet.agents.offline.slots.numbers import MONTHS

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ABBREVIATIONS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
MONTH_NUMBERS = {name: i for i, name in enumerate(MONTHS, start=1)} | _ABBREVIATIONS
_MONTH = r"(" + "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?:of\s+)?(\d{4}|(?:19|20) \d{2}))?"
_LEAD = r"(?:(?:due|by|on|for|before|until|starting|from|this|of)\s+)*"
Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Day:
    """A day found in a text.

    Attributes:
        value: The day.
        span: Where it was said, leading prepositions included.
    """

    value: date
    span: Span


def _year(raw: str | None) -> int | None:
    return int(raw.replace(" ", "")) if raw else None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _upcoming(month: int, day: int, year: int | None, today: date) -> date | None:
    """The date with that month and day: in ``year`` if given, else the next one."""
    if year is not None:
        return _safe_date(year, month, day)
    found = _safe_date(today.year, month, day)
    if found is not None and found >= today:
        return found
    return _safe_date(today.year + 1, month, day)


_NAMED = re.compile(
    rf"\b{_LEAD}(?:the\s+)?(day after tomorrow|tomorrow|today|tonight|yesterday)\b"
    r"(?:\s+(?:morning|afternoon|evening|night))?"
)
_ISO = re.compile(rf"\b{_LEAD}(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})\b")
_SLASH = re.compile(rf"\b{_LEAD}(\d{{1,2}})/(\d{{1,2}})(?:/(\d{{2,4}}))?\b")
_MONTH_DAY = re.compile(rf"\b{_LEAD}(?:the\s+)?{_MONTH}\s+(?:the\s+)?{_DAY}\b{_YEAR}")
_DAY_MONTH = re.compile(rf"\b{_LEAD}(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}\b{_YEAR}")
_ORDINAL_DAY = re.compile(rf"\b{_LEAD}the\s+(\d{{1,2}})(?:st|nd|rd|th)\b")
_WEEKDAY = re.compile(
    rf"\b{_LEAD}(?:(this coming|coming|this|next|on)\s+)?({'|'.join(WEEKDAYS)})s?\b"
)
_NAMED_OFFSET = {"today": 0, "tonight": 0, "tomorrow": 1, "day after tomorrow": 2, "yesterday": -1}


def _named(text: str, today: date) -> Day | None:
    match = _NAMED.search(text)
    if match is None:
        return None
    return Day(today + timedelta(days=_NAMED_OFFSET[match.group(1)]), match.span())


def _numeric(text: str, today: date) -> Day | None:
    match = _ISO.search(text)
    if match is not None:
        found = _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        return Day(found, match.span()) if found else None
    match = _SLASH.search(text)
    if match is None:
        return None
    year = int(match.group(3)) if match.group(3) else None
    if year is not None and year < 100:
        year += 2000 if year <= today.year % 100 else 1900
    found = _upcoming(int(match.group(1)), int(match.group(2)), year, today)
    return Day(found, match.span()) if found else None


def _spelled(text: str, today: date) -> Day | None:
    """Find a spelled-out date: "March 3rd", "the 3rd of March 2027", "the 21st"."""
    match = _MONTH_DAY.search(text)
    if match is not None:
        month, day, year = MONTH_NUMBERS[match.group(1)], int(match.group(2)), match.group(3)
    else:
        match = _DAY_MONTH.search(text)
        if match is None:
            return _day_of_month(text, today)
        day, month, year = int(match.group(1)), MONTH_NUMBERS[match.group(2)], match.group(3)
    found = _upcoming(month, day, _year(year), today)
    return Day(found, match.span()) if found else None


def _day_of_month(text: str, today: date) -> Day | None:
    match = _ORDINAL_DAY.search(text)
    if match is None:
        return None
    day = int(match.group(1))
    found = _safe_date(today.year, today.month, day)
    if found is None or found < today:
        month = today.month % 12 + 1
        found = _safe_date(today.year + (month == 1), month, day)
    return Day(found, match.span()) if found else None


def _weekday(text: str, today: date) -> Day | None:
    match = _WEEKDAY.search(text)
    if match is None:
        return None
    ahead = (WEEKDAYS.index(match.group(2)) - today.weekday()) % 7
    if ahead == 0 and match.group(1) == "next":
        ahead = 7
    return Day(today + timedelta(days=ahead), match.span())


def find_day(text: str, today: date) -> Day | None:
    """The first calendar day named in ``text``, resolved against ``today``."""
    for finder in (_numeric, _spelled, _named, _weekday):
        found = finder(text, today)
        if found is not None:
            return found
    return None


_RANGE_WORDS = re.compile(
    r"\b(?:for\s+|during\s+|over\s+)?(this|next|the)\s+(week|weekend|month)\b"
    r"|\b(?:for\s+|over\s+)?the\s+next\s+(\d+)\s+days\b"
)


def _end_of_month(day: date) -> date:
    first_next = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def find_range(text: str, today: date) -> tuple[date, date] | None:
    """A span of days for calendar questions ("next week", "this weekend", "on Friday").

    Returns:
        ``(first, last)`` days, both included, or ``None`` when no day is named.
    """
    match = _RANGE_WORDS.search(text)
    if match is None:
        day = find_day(text, today)
        return (day.value, day.value) if day else None
    if match.group(3):
        return today, today + timedelta(days=int(match.group(3)))
    which, unit = match.group(1), match.group(2)
    monday = today - timedelta(days=today.weekday())
    if unit == "week":
        start = monday + timedelta(days=7) if which == "next" else today
        return start, monday + timedelta(days=13 if which == "next" else 6)
    if unit == "weekend":
        saturday = monday + timedelta(days=5 + (7 if which == "next" else 0))
        return max(saturday, today), saturday + timedelta(days=1)
    if which == "next":
        first = _end_of_month(today) + timedelta(days=1)
        return first, _end_of_month(first)
    return today, _end_of_month(today)


_BIRTH_NUMERIC = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")


def birth_date(text: str, today: date) -> date | None:
    """A date of birth: a full date with a year ("March 3rd 1985", "3/3/1985", "1985-03-03")."""
    match = _ISO.search(text)
    if match is not None:
        return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _BIRTH_NUMERIC.search(text)
    if match is not None:
        year = int(match.group(3))
        if year < 100:
            year += 2000 if year <= today.year % 100 else 1900
        return _safe_date(year, int(match.group(1)), int(match.group(2)))
    for pattern, month_first in ((_MONTH_DAY, True), (_DAY_MONTH, False)):
        match = pattern.search(text)
        if match is not None and match.group(3):
            month_group, day_group = (1, 2) if month_first else (2, 1)
            month = MONTH_NUMBERS[match.group(month_group)]
            return _safe_date(_year(match.group(3)) or 0, month, int(match.group(day_group)))
    return None
