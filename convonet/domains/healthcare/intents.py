"""Healthcare intents: patient registration and lookup, intake, appointments."""

import re
from datetime import datetime
from typing import Any

from convonet.agents.offline.intents.base import (
    Ask,
    Heard,
    Intent,
    Slots,
    free_text,
    iso_moment,
    no_day_or_time,
    no_exact_time,
    pattern,
    phrase_at,
    present,
    when_answer,
    when_slots,
)
from convonet.agents.offline.slots.clock import duration_minutes
from convonet.agents.offline.slots.days import birth_date
from convonet.agents.offline.slots.people import (
    email,
    name_answer,
    name_at,
    person_name,
    phone,
    split_name,
)
from convonet.agents.offline.slots.when import iso_date
from convonet.domains.healthcare import slots as health

AREA = "healthcare"


def _name_slots(name: str | None) -> Slots:
    if not name:
        return {}
    first, last = split_name(name)
    return present(first_name=first, last_name=last)


_REGISTER = re.compile(
    r"\bregister(?:\s+(?:a\s+)?(?:new\s+)?patient)?(?:\s+(?:named|called))?,?\s+(?=[a-z])"
)


def _said_name(heard: Heard) -> str | None:
    found = person_name(heard.text)
    match = _REGISTER.search(heard.words)
    if found is None and match is not None:
        found = name_at(heard.text, match.end())
    return found


def _read_patient(heard: Heard) -> Slots:
    born = birth_date(heard.words, heard.now.date())
    return (
        _name_slots(_said_name(heard))
        | present(date_of_birth=iso_date(born) if born else None)
        | present(phone=phone(heard.words), email=email(heard.words))
    )


def _answer_name(heard: Heard) -> Slots:
    return _read_patient(heard) | _name_slots(name_answer(heard.text))


def _answer_birth(heard: Heard) -> Slots:
    return _read_patient(heard)


def _build_register(slots: Slots, _now: datetime) -> dict[str, Any]:
    keys = ("first_name", "last_name", "date_of_birth", "phone", "email")
    return {k: slots[k] for k in keys if k in slots}


_LAST_NAME = re.compile(
    r"\b(?:last name|surname|family name)\s+(?:is\s+)?|\bpatient\s+(?:named\s+|called\s+)?(?=[a-z])"
    r"|\b(?:record|chart|file)\s+for\s+"
)
_PATIENT_ID = re.compile(r"\bpatient\s+(?:number|id|#)\s*(\d+)\b")


def _read_lookup(heard: Heard) -> Slots:
    slots = _read_patient(heard)
    last = slots.get("last_name")
    for match in _LAST_NAME.finditer(heard.words):
        name = name_at(heard.text, match.end())
        if last is None and name:
            last = split_name(name)[1] or name
    patient_id = _PATIENT_ID.search(heard.words)
    return present(
        patient_id=int(patient_id.group(1)) if patient_id else None,
        last_name=last,
        date_of_birth=slots.get("date_of_birth"),
    )


def _read_intake(heard: Heard) -> Slots:
    words = heard.words
    return present(
        chief_complaint=health.chief_complaint(words),
        symptoms=health.symptoms(words),
        allergies=health.allergies(words),
        medications=health.medications(words),
        pain_level=health.pain_level(words),
    )


def _answer_complaint(heard: Heard) -> Slots:
    found = _read_intake(heard)
    if "chief_complaint" not in found:
        found["chief_complaint"] = free_text(heard, cut_when=False)
    return found


def _build_intake(slots: Slots, _now: datetime) -> dict[str, Any]:
    keys = ("symptoms", "allergies", "medications", "pain_level")
    return {"chief_complaint": slots["chief_complaint"]} | {k: slots[k] for k in keys if k in slots}


_VISIT_KINDS = re.compile(
    r"\b(check-?up|physical|cleaning|follow-?up|consultation|vaccination|flu shot|blood test|"
    r"annual exam|screening|vaccine|shots?)\b"
)
_REASON = re.compile(
    r"\b(?:for|about|because of|because|regarding|reason is|due to)\s+(?:a\s+|an\s+|my\s+|the\s+)?"
    r"(.+?)(?=,|\.|\s+with\s+|\s+and\s+(?:i|it)\b|$)"
)
_PROVIDER = re.compile(r"\b(?:with|see)\s+(?:doctor|dr)\s+([a-z][a-z'-]+)")


def _provider(heard: Heard) -> tuple[str, tuple[int, int]] | None:
    match = _PROVIDER.search(heard.words)
    if match is None:
        return None
    name = heard.text.original_of(*match.span(1)).strip(" .,")
    return f"Dr. {name[:1].upper()}{name[1:]}", match.span()


def _reason(heard: Heard, spans: list[tuple[int, int]]) -> str | None:
    masked = heard.masked(spans)
    match = _REASON.search(masked)
    if match is not None:
        found = phrase_at(heard, match.span(1), spans)
        if found and not re.fullmatch(r"(?i)(?:an? )?(?:appointment|visit|doctor)", found):
            return found
    kind = _VISIT_KINDS.search(masked)
    if kind is not None:
        return kind.group(1)
    return health.chief_complaint(heard.words)


def _read_booking(heard: Heard) -> Slots:
    spans = list(heard.when().spans)
    provider = _provider(heard)
    duration = duration_minutes(heard.words)
    spans += [p[1] for p in (provider, duration) if p]
    return (
        when_slots(heard)
        | present(reason=_reason(heard, spans), provider=provider[0] if provider else None)
        | present(duration_minutes=duration[0] if duration else None)
    )


def _answer_reason(heard: Heard) -> Slots:
    said = re.sub(r"^(?:it's|it is|the reason is)\s+", "", free_text(heard), flags=re.I)
    return _read_booking(heard) | present(reason=said)


def _build_booking(slots: Slots, now: datetime) -> dict[str, Any]:
    args = {"start": iso_moment(slots, now), "reason": slots["reason"]}
    return args | {k: slots[k] for k in ("provider", "duration_minutes") if k in slots}


def _no_last_name(slots: Slots) -> bool:
    return "last_name" not in slots


INTENTS: tuple[Intent, ...] = (
    Intent(
        "get_appointments",
        pattern(
            r"\b(?:when(?:'s| is)|what(?:'s| is| are)?|show|list|do i have|any|check|read|"
            r"tell me)\b"
            r"(?!.*\b(?:book|schedule|make)\b).*\bappointments?\b",
            r"\bmy (?:next |upcoming )?appointments?\b(?!.*\b(?:book|schedule)\b)",
        ),
        "get_appointments",
        lambda heard: (
            {"upcoming_only": False}
            if re.search(r"\b(?:past|previous|all|history|old)\b", heard.words)
            else {}
        ),
        lambda slots, _now: dict(slots),
        (),
        AREA,
    ),
    Intent(
        "book_appointment",
        pattern(
            r"\b(?:book|schedule|make|set up|need|want|get|arrange|request)\b.*"
            r"\b(?:appointment|check-?up|visit|consultation|physical)\b",
            r"\bsee (?:a |the )?(?:doctor|dentist|nurse|physician|dr)\b",
        ),
        "book_appointment",
        _read_booking,
        _build_booking,
        (
            Ask(
                "when",
                "What day and time would you like the appointment?",
                when_answer,
                no_day_or_time,
            ),
            Ask("time", "What time would you like the appointment?", when_answer, no_exact_time),
            Ask("reason", "What is the reason for the visit?", _answer_reason),
        ),
        AREA,
    ),
    Intent(
        "register_patient",
        pattern(
            r"\b(?:register|new patient|sign (?:me |him |her )?up|first (?:visit|time)|"
            r"create (?:a |my )?(?:patient )?(?:record|profile|chart))\b",
        ),
        "register_patient",
        _read_patient,
        _build_register,
        (
            Ask("name", "What is the patient's full name?", _answer_name, _no_last_name),
            Ask("date_of_birth", "What is the patient's date of birth?", _answer_birth),
        ),
        AREA,
    ),
    Intent(
        "get_patient",
        pattern(
            r"\b(?:look up|find|pull up|get|check|open|retrieve|show|search for)\b.*"
            r"\b(?:patient|record|chart|file)\b",
        ),
        "get_patient",
        _read_lookup,
        lambda slots, _now: dict(slots),
        (),
        AREA,
    ),
    Intent(
        "record_intake",
        pattern(
            r"\b(?:intake|symptoms?|hurts?|hurting|pain|aches?|allergic|sick|ill|unwell|"
            r"not feeling (?:well|good)|feel(?:ing)? (?:sick|bad|terrible|awful))\b",
            health.SYMPTOM_PATTERN.pattern,
        ),
        "record_intake",
        _read_intake,
        _build_intake,
        (
            Ask(
                "chief_complaint",
                "What is the main problem that brings you in today?",
                _answer_complaint,
            ),
        ),
        AREA,
    ),
)
# Intake's words ("my head hurts", "pain") are broad, so it ranks after every other domain's
# specific intents; the rest of the clinic ranks early.
INTAKE_INTENTS: tuple[Intent, ...] = tuple(i for i in INTENTS if i.name == "record_intake")
CLINIC_INTENTS: tuple[Intent, ...] = tuple(i for i in INTENTS if i not in INTAKE_INTENTS)
