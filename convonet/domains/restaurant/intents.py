"""Restaurant intents: availability, reservations (make, look up, change, cancel)."""

import re
from datetime import datetime
from typing import Any

from convonet.agents.offline.intents.base import (
    Ask,
    ClockSlot,
    Heard,
    Intent,
    Slots,
    no_exact_time,
    pattern,
    present,
    when_answer,
    when_slots,
)
from convonet.agents.offline.slots.numbers import count_answer, party_size
from convonet.agents.offline.slots.people import confirmation_code, name_answer, person_name, phone
from convonet.agents.offline.slots.when import iso_date, iso_time

AREA = "restaurant"
_REQUESTS = re.compile(
    r"\b(birthday|anniversary|celebration|graduation|window (?:seat|table)|by the window|booth|"
    r"patio|outside|outdoor seating|terrace|high ?chair|booster seat|wheelchair(?: access\w*)?|"
    r"quiet (?:table|corner|spot)|vegan|vegetarian|gluten[- ]free|nut allergy|private room|"
    r"stroller)\b"
)
_SAID_REQUEST = re.compile(r"\bspecial requests?\s*(?:is|are|:)?\s+(.+?)(?=[.;]|$)")


def special_requests(heard: Heard) -> str | None:
    """Special requests: said as such, else the known ones named (birthday, window seat...)."""
    match = _SAID_REQUEST.search(heard.words)
    if match is not None:
        return heard.text.original_of(*match.span(1)).strip(" .,")
    found: list[str] = []
    for item in _REQUESTS.finditer(heard.words):
        if item.group(1) not in found:
            found.append(item.group(1))
    return ", ".join(found) or None


def _when(heard: Heard) -> Slots:
    found = when_slots(heard, evening=True)
    day = found.pop("day", None)
    clock: ClockSlot | None = found.pop("clock", None)
    return present(date=iso_date(day) if day else None, clock=clock)


def _read_table(heard: Heard) -> Slots:
    return _when(heard) | present(party_size=party_size(heard.words))


def _read_booking(heard: Heard) -> Slots:
    return (
        _read_table(heard)
        | present(name=person_name(heard.text), phone=phone(heard.words))
        | present(special_requests=special_requests(heard))
    )


def _time(slots: Slots) -> str | None:
    clock: ClockSlot | None = slots.get("clock")
    return iso_time(clock.at) if clock and not clock.vague else None


def _build_check(slots: Slots, _now: datetime) -> dict[str, Any]:
    return {"date": slots["date"], "time": _time(slots), "party_size": slots["party_size"]}


def _build_booking(slots: Slots, now: datetime) -> dict[str, Any]:
    args = _build_check(slots, now) | {"name": slots["name"]}
    return args | {k: slots[k] for k in ("phone", "special_requests") if k in slots}


def _answer_time(heard: Heard) -> Slots:
    found = _read_booking(heard)
    if "clock" not in found:
        anchored = when_answer(heard, evening=True).get("clock")
        found |= present(clock=anchored)
    return found


def _answer_count(heard: Heard) -> Slots:
    return _read_booking(heard) | present(party_size=count_answer(heard.words))


def _answer_name(heard: Heard) -> Slots:
    return _read_booking(heard) | present(name=name_answer(heard.text))


def _read_code(heard: Heard) -> Slots:
    return present(confirmation_code=confirmation_code(heard.words))


def _build_change(slots: Slots, _now: datetime) -> dict[str, Any]:
    args = {k: slots[k] for k in ("confirmation_code", "date", "party_size") if k in slots}
    return args | present(time=_time(slots), special_requests=slots.get("special_requests"))


def _no_change(slots: Slots) -> bool:
    keys = ("date", "clock", "party_size", "special_requests")
    return not any(k in slots for k in keys)


def _answer_change(heard: Heard) -> Slots:
    found = _read_booking(heard)
    if "party_size" not in found and re.search(r"\b(?:people|guests|us)\b", heard.words):
        found |= present(party_size=count_answer(heard.words))
    return found


def _asks(date_q: str, time_q: str, count_q: str) -> tuple[Ask, ...]:
    return (
        Ask("date", date_q, _read_booking),
        Ask("time", time_q, _answer_time, no_exact_time),
        Ask("party_size", count_q, _answer_count),
    )


_TABLE_WORDS = r"(?:table|tables|seats?|reservation|booking|spot|room|space|openings?|availability)"

INTENTS: tuple[Intent, ...] = (
    Intent(
        "cancel_reservation",
        pattern(r"\bcancel\b.*\b(?:reservation|booking|table)\b"),
        "cancel_reservation",
        _read_code,
        lambda slots, _now: dict(slots),
        (),
        AREA,
    ),
    Intent(
        "update_reservation",
        pattern(
            r"\b(?:change|move|modify|update|reschedule|push|switch)\b.*\b(?:reservation|booking)\b",
            r"\b(?:reservation|booking)\b.*\b(?:instead|change|move)\b",
        ),
        "update_reservation",
        lambda heard: _read_booking(heard) | _read_code(heard),
        _build_change,
        (
            Ask(
                "change",
                "What should I change: the day, the time or the party size?",
                _answer_change,
                _no_change,
            ),
        ),
        AREA,
    ),
    Intent(
        "get_reservation",
        pattern(
            r"\b(?:what|when|check|look up|find|confirm|details|do i have|show|read|tell me|"
            r"what's)\b"
            r".*\b(?:reservation|booking)\b(?!.*\b(?:for|at)\s+\d)",
            r"\bmy (?:next )?(?:reservation|booking)\b(?!.*\b(?:book|make|for \d))",
        ),
        "get_reservation",
        _read_code,
        lambda slots, _now: dict(slots),
        (),
        AREA,
    ),
    Intent(
        "check_availability",
        pattern(
            r"\b(?:available|availability|any (?:free |open )?tables?|open tables?|free tables?|"
            r"can you fit|room for|space for)\b",
            r"\b(?:do you have|have you got)\s+(?:anything|something)\s+(?:for|on|at)\b",
            r"\b(?:do you have|is there|are there|have you got)\s+(?:a\s+|any\s+)?"
            rf"(?:free\s+|open\s+)?{_TABLE_WORDS}\b",
        ),
        "check_availability",
        _read_table,
        _build_check,
        _asks(
            "For what day should I check availability?",
            "What time should I check for?",
            "For how many people should I check?",
        ),
        AREA,
    ),
    Intent(
        "create_reservation",
        pattern(
            r"\b(?:book|reserve|get|grab)\b.*\b(?:table|seats?|spot for)\b",
            r"\b(?:book|reserve)\b.*\b(?:dinner|lunch|brunch|breakfast)\b",
            r"\b(?:want|need|like)\b.*\btable\b",
            r"\b(?:make|want|need|like|book)\b.*\b(?:reservation|booking)\b",
            r"\btable for\b|\bparty of\b|^(?:a\s+)?reservation\b",
        ),
        "create_reservation",
        _read_booking,
        _build_booking,
        (
            *_asks(
                "For what day would you like the reservation?",
                "What time would you like the reservation?",
                "How many people will be dining?",
            ),
            Ask("name", "What name should I put the reservation under?", _answer_name),
        ),
        AREA,
    ),
)
