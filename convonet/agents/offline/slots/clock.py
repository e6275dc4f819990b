"""Times of day and durations as callers say them.

For example "at 7pm", "7:30", "noon", "half past 6", "this evening", "for an hour and a half".

Functions read a prepared (lower-case, numerised) text. An hour said without am/pm is
resolved by :func:`to_24h`.
"""

import re
from dataclasses import dataclass
from datetime import time

Span = tuple[int, int]
_LEAD = r"(?:(?:at|by|around|about|from|for|until|before|starting)\s+)*"
_NOT_A_TIME = (
    r"(?![\d%]|\.\d|\s*(?:percent|people|persons|guests|dollars|bucks|years?|months?|weeks?|"
    r"days?|hours?|minutes?|mins?|of us|st|nd|rd|th|out of|/)\b)"
)
_PART_OF_DAY = re.compile(
    r"\b(?:this\s+|in\s+the\s+|at\s+|tomorrow\s+)?(morning|afternoon|evening|tonight|night)\b"
)
_NOON = re.compile(rf"\b{_LEAD}(noon|midday|midnight)\b")
_PAST = re.compile(rf"\b{_LEAD}(half|quarter|\d{{1,2}}) (past|after|to) (\d{{1,2}})\b\s*(am|pm)?")
_CLOCK = re.compile(
    rf"\b(?P<lead>{_LEAD})(?P<h>\d{{1,2}})(?:(?P<sep>[:.]|\s)(?P<m>[0-5]\d))?"
    rf"(?:\s*(?P<ap>am|pm|oclock))?\b{_NOT_A_TIME}"
)
_PART_FOLLOWS = re.compile(r"\s*(?:in the (?:morning|afternoon|evening)|tonight|at night)\b")
# "move it to 9", "push our reservation to 8:30?": a bare hour after "to" that ends the request.
_TO_AT_END = re.compile(r"\bto\s+$")
_END = re.compile(r"\s*(?:instead|please|then|tonight|[?.!,]|$)")
# Times a part of the day stands for when no clock time is said.
PART_TIMES = {
    "morning": time(9),
    "afternoon": time(14),
    "evening": time(18),
    "tonight": time(20),
    "night": time(20),
}


@dataclass(frozen=True, slots=True)
class Clock:
    """A clock time as said.

    Attributes:
        hour: The hour as said (0-23; 1-12 when am/pm or nothing was said).
        minute: The minute.
        meridiem: ``"am"``, ``"pm"`` or ``None`` when not said.
        span: Where it was said, leading prepositions included.
    """

    hour: int
    minute: int
    meridiem: str | None
    span: Span


def part_of_day(text: str) -> tuple[str, Span] | None:
    """The part of the day named ("this evening", "tomorrow morning", "tonight")."""
    match = _PART_OF_DAY.search(text)
    return (match.group(1), match.span()) if match else None


def _accept(match: re.Match[str], text: str) -> bool:
    """Whether a bare number is a time: anchored by "at", am/pm, a colon or a part of day."""
    hour, minute = int(match.group("h")), match.group("m")
    if hour > 24 or (hour == 24 and minute not in (None, "00")):
        return False
    if match.group("ap") or match.group("sep") == ":":
        return True
    followed = _PART_FOLLOWS.match(text, match.end()) is not None
    if match.group("sep") in (" ", ".") and not (match.group("lead").strip() or followed):
        return False
    anchors = r"\b(?:at|by|around|about|until|before|from|starting)\s"
    if _TO_AT_END.search(text[: match.start()]) and _END.match(text, match.end()):
        return True
    return bool(re.search(anchors, match.group("lead"))) or (followed)


def _special(text: str) -> Clock | None:
    match = _NOON.search(text)
    if match is not None:
        return Clock(0 if match.group(1) == "midnight" else 12, 0, None, match.span())
    match = _PAST.search(text)
    if match is None:
        return None
    amount = {"half": 30, "quarter": 15}.get(match.group(1)) or int(match.group(1))
    hour = int(match.group(3))
    if match.group(2) == "to":
        hour, amount = (hour - 1) % 12 or 12, 60 - amount
    return Clock(hour, amount, match.group(4), match.span())


def find_clock(text: str) -> Clock | None:
    """The first clock time in ``text`` ("at 7", "7:30 pm", "19:00", "noon", "quarter to 4")."""
    special = _special(text)
    for match in _CLOCK.finditer(text):
        if not _accept(match, text):
            continue
        if special is not None and special.span[0] < match.start():
            return special
        meridiem = match.group("ap") if match.group("ap") in ("am", "pm") else None
        return Clock(int(match.group("h")), int(match.group("m") or 0), meridiem, match.span())
    return special


def to_24h(clock: Clock, part: str | None, *, evening: bool = False) -> time:
    """Resolve a clock time to 24 hours.

    Args:
        clock: The time as said.
        part: The part of the day said with it ("evening"), if any.
        evening: Prefer evening hours when nothing says otherwise (dinner reservations).

    Returns:
        The time. Without am/pm or a part of the day, hours 1-6 are afternoon (7-11 are
        morning), or with ``evening`` 1-10 are evening.
    """
    hour = clock.hour
    if hour > 12:
        return time(hour % 24, clock.minute)
    if clock.meridiem == "am" or (clock.meridiem is None and part == "morning"):
        hour %= 12
    elif clock.meridiem == "pm" or (clock.meridiem is None and part in PART_TIMES):
        hour = hour % 12 + 12
    elif 1 <= hour <= (10 if evening else 6):
        hour += 12
    return time(hour, clock.minute)


_DURATION = re.compile(
    r"\b(?:for\s+|lasting\s+|takes?\s+)?(?<!\bin )(?:(half an?|an?|\d+(?:\.\d+)?)[\s-]"
    r"(hours?|hrs?|minutes?|mins?)(\s+and\s+a\s+half)?)\b(?:\s+long)?"
)


def duration_minutes(text: str) -> tuple[int, Span] | None:
    """A duration ("for an hour", "45 minutes"), not an offset ("in 2 hours"), in minutes."""
    for match in _DURATION.finditer(text):
        if re.search(r"\bin\s+$", text[: match.start()]):
            continue
        amount = match.group(1)
        value = {"half an": 0.5, "half a": 0.5, "an": 1.0, "a": 1.0}.get(amount)
        value = float(amount) if value is None else value
        if match.group(3):
            value += 0.5
        per = 60 if match.group(2).startswith("h") else 1
        return round(value * per), match.span()
    return None
