"""Reminder and calendar intents."""

import re
from datetime import datetime, timedelta
from typing import Any

from convonet.agents.offline.intents.base import (
    Ask,
    Heard,
    Intent,
    Slots,
    free_text,
    iso_moment,
    moment,
    no_day_or_time,
    no_time,
    pattern,
    phrase_at,
    present,
    tidy,
    when_answer,
    when_slots,
)
from convonet.agents.offline.slots.clock import duration_minutes
from convonet.agents.offline.slots.days import find_range
from convonet.agents.offline.slots.when import iso_date, iso_datetime

REMINDERS, CALENDAR = "reminders", "calendar"

# --- reminders -------------------------------------------------------------------------------

_REMINDER_TITLE = (
    re.compile(r"\bremind me\s+(.+)$"),
    re.compile(r"\breminder\s+((?:to|for|about|that|saying|called)\s+.+)$"),
    re.compile(r"\breminder\s*:\s*(.+)$"),
)
_ABOUT = re.compile(r"^(?:(?:about|for|of)\s+(?:the\s+|my\s+)?|(?:to|that|saying|called)\s+)", re.I)


def _reminder_title(heard: Heard) -> str | None:
    for form in _REMINDER_TITLE:
        match = form.search(heard.words)
        if match is None:
            continue
        said = heard.text.original_without(*match.span(1), heard.when().spans)
        found = tidy(_ABOUT.sub("", said.strip()))
        if found and found.lower() not in ("me", "it"):
            return found
    return None


def _read_reminder(heard: Heard) -> Slots:
    return present(title=_reminder_title(heard)) | when_slots(heard)


def _build_reminder(slots: Slots, now: datetime) -> dict[str, Any]:
    return {"title": slots["title"], "remind_at": iso_moment(slots, now)}


def _answer_reminder_title(heard: Heard) -> Slots:
    said = re.sub(r"^(?:remind me\s+)?(?:to|about)\s+", "", free_text(heard), flags=re.I)
    return present(title=said) | when_slots(heard)


_NAMED_REMINDER = (
    re.compile(
        r"\breminders?\s+(?:to|(?:about|for)(?:\s+the|\s+my)?|called|named|that says)\s+(.+)$"
    ),
    re.compile(r"\b(?:the|my)\s+(.+?)\s+reminders?\b"),
)


def _reminder_named(heard: Heard) -> Slots:
    spans = heard.when().spans
    for form in _NAMED_REMINDER:
        match = form.search(heard.masked(spans))
        if match is not None:
            found = phrase_at(heard, match.span(1), spans)
            if found:
                return {"title": found}
    return {}


def _answer_reminder_named(heard: Heard) -> Slots:
    said = re.sub(r"^(?:the\s+)?(?:one\s+)?(?:about\s+|to\s+)?", "", free_text(heard), flags=re.I)
    return present(title=said)


def _build_update_reminder(slots: Slots, now: datetime) -> dict[str, Any]:
    return {"title": slots["title"], "remind_at": iso_moment(slots, now)}


# --- calendar --------------------------------------------------------------------------------

_EVENT_VERB = r"(?:schedule|book|add|put|create|set up|plan|arrange|make)"
_EVENT_TITLE = (
    re.compile(r"\b(?:event|meeting|appointment)\s+(?:called|named|titled)\s+(.+)$"),
    re.compile(
        rf"\b{_EVENT_VERB}\s+(?:a\s+|an\s+|my\s+|the\s+)?(.+?)\s+(?:to|on|in|into)\s+(?:my|the)\s+calendar\b"
    ),
    re.compile(
        rf"\b{_EVENT_VERB}\s+(?:a\s+|an\s+|my\s+|the\s+)?(?:new\s+)?(?:calendar\s+)?(?:event\s+(?:for\s+)?)?(.+)$"
    ),
)
_PLACES = (
    r"room|office|cafe|coffee shop|restaurant|park|library|gym|hall|building|center|centre|"
    r"shop|school|hospital|clinic|bar|hotel|airport|station|church|studio|headquarters"
)
_LOCATION = re.compile(
    rf"\b(?:at|in)\s+(?:the\s+)?((?:[a-z0-9'-]+\s+){{0,3}}(?:{_PLACES})(?:\s+[a-z0-9])?)\b"
    r"|\blocation(?: is|:)?\s+(.+?)(?=,|\.|$)"
)


def _location(heard: Heard) -> tuple[str, tuple[int, int]] | None:
    match = _LOCATION.search(heard.masked(heard.when().spans))
    if match is None:
        return None
    group = 1 if match.group(1) else 2
    return phrase_at(heard, match.span(group)), match.span()


def _event_cuts(heard: Heard) -> list[tuple[int, int]]:
    spans = list(heard.when().spans)
    duration = duration_minutes(heard.words)
    place = _location(heard)
    spans += [duration[1]] if duration else []
    return spans + ([place[1]] if place else [])


def _event_title(heard: Heard) -> str | None:
    spans = _event_cuts(heard)
    for form in _EVENT_TITLE:
        match = form.search(heard.words)
        if match is not None:
            found = phrase_at(heard, match.span(1), spans)
            found = re.sub(r"\s+(?:to|on|in)\s+(?:my|the)\s+calendar$", "", found, flags=re.I)
            if found and found.lower() not in ("event", "meeting", "something", "it"):
                return found
    return None


def _read_event(heard: Heard) -> Slots:
    duration = duration_minutes(heard.words)
    place = _location(heard)
    return (
        present(title=_event_title(heard), location=place[0] if place else None)
        | present(minutes=duration[0] if duration else None)
        | when_slots(heard)
    )


def _build_event(slots: Slots, now: datetime) -> dict[str, Any]:
    start = moment(slots, now)
    assert start is not None
    end = start + timedelta(minutes=slots["minutes"]) if "minutes" in slots else None
    return {"title": slots["title"], "start": iso_datetime(start)} | present(
        end=iso_datetime(end) if end else None, location=slots.get("location")
    )


def _answer_event_title(heard: Heard) -> Slots:
    said = re.sub(
        r"^(?:call it|it's called|it is called|it's)\s+", "", free_text(heard), flags=re.I
    )
    return present(title=said) | when_slots(heard)


def _read_range(heard: Heard) -> Slots:
    found = find_range(heard.words, heard.now.date())
    if found is None:
        return {}
    return {"start_date": iso_date(found[0]), "end_date": iso_date(found[1])}


def _when_answer(heard: Heard) -> Slots:
    return when_answer(heard)


_REMINDER_TITLE_ASK = Ask("title", "What should I remind you about?", _answer_reminder_title)
_REMINDER_WHEN_ASKS = (
    Ask("when", "For what date and time should I set the reminder?", _when_answer, no_day_or_time),
    Ask("time", "At what time should I remind you?", _when_answer, no_time),
)

REMINDER_INTENTS: tuple[Intent, ...] = (
    Intent(
        "delete_reminder",
        pattern(
            r"\b(?:delete|remove|cancel|clear|drop|turn off|dismiss|get rid of)\b.*\breminders?\b"
        ),
        "delete_reminder",
        _reminder_named,
        lambda slots, _now: {"title": slots["title"]},
        (Ask("title", "Which reminder should I delete?", _answer_reminder_named),),
        REMINDERS,
    ),
    Intent(
        "update_reminder",
        pattern(r"\b(?:change|move|update|reschedule|push|postpone|shift)\b.*\breminders?\b"),
        "update_reminder",
        lambda heard: _reminder_named(heard) | when_slots(heard),
        _build_update_reminder,
        (
            Ask("title", "Which reminder should I change?", _answer_reminder_named),
            Ask("time", "When should I remind you instead?", _when_answer, no_time),
        ),
        REMINDERS,
    ),
    Intent(
        "get_reminders",
        pattern(
            r"\b(?:what|which|any|list|show|read|tell me|check|do i have|how many)\b"
            r".*\breminders\b",
            r"\b(?:what|which|any|list|show|read|tell me|check)\b(?!.*\bremind me\b).*\breminder\b"
            r"(?!\s+(?:to|for|about|that)\b)",
            r"\bmy reminders\b",
        ),
        "get_reminders",
        lambda heard: (
            {"include_past": True}
            if re.search(r"\b(?:past|old|previous|earlier|expired|all)\b", heard.words)
            else {}
        ),
        lambda slots, _now: dict(slots),
        (),
        REMINDERS,
    ),
    Intent(
        "create_reminder",
        pattern(
            r"\bremind me\b",
            r"\b(?:set|create|add|make|new|schedule|put in)\s+(?:a\s+|an\s+|me\s+a\s+)?"
            r"(?:new\s+)?reminder\b",
            r"^reminder\b",
        ),
        "create_reminder",
        _read_reminder,
        _build_reminder,
        (_REMINDER_TITLE_ASK, *_REMINDER_WHEN_ASKS),
        REMINDERS,
    ),
)

CALENDAR_INTENTS: tuple[Intent, ...] = (
    Intent(
        "sync_google_calendar",
        pattern(r"\bsync(?:hronize|hronise)?\b.*\b(?:google|calendar)\b"),
        "sync_google_calendar_events",
        lambda _heard: {},
        lambda _slots, _now: {},
        (),
        CALENDAR,
    ),
    Intent(
        "test_google_calendar",
        pattern(
            r"\b(?:test|check|verify|is|are)\b.*\bgoogle\b",
            r"\bgoogle calendar\b.*\b(?:connected|working|set up|configured|linked)\b",
        ),
        "test_google_calendar",
        lambda _heard: {},
        lambda _slots, _now: {},
        (),
        CALENDAR,
    ),
    Intent(
        "get_calendar_events",
        pattern(
            r"\b(?:what(?:'s| is| are)?|show|list|read|check|any|do i have|tell me|how)\b.*"
            r"\b(?:calendar|schedule|meetings|events|agenda|my day|my week)\b",
            r"\b(?:do i have|have i got)\s+(?:any(?:thing)?\s+)?(?:meetings?|events?|plans)\b",
            r"\bwhat do i have\b",
            r"\b(?:do i have|have i got|is there)\s+anything\b",
            r"\b(?:what|how) does\b.*\blooks? like\b",
            r"\bam i (?:free|busy|available)\b",
        ),
        "get_calendar_events",
        _read_range,
        lambda slots, _now: dict(slots),
        (),
        CALENDAR,
    ),
    Intent(
        "create_calendar_event",
        pattern(
            rf"\b{_EVENT_VERB}\b.*\b(?:meeting|event|calendar|call with|lunch|dinner|breakfast|"
            r"appointment|standup|stand-up|interview|session|party|review|sync)\b",
        ),
        "create_calendar_event",
        _read_event,
        _build_event,
        (
            Ask("title", "What should I call the event?", _answer_event_title),
            Ask("when", "What day and time is the event?", _when_answer, no_day_or_time),
            Ask("time", "What time does the event start?", _when_answer, no_time),
        ),
        CALENDAR,
    ),
)
