"""Spoken replies from the healthcare tools' results."""

from datetime import datetime
from typing import Any

from convonet.agents.offline.phrasing.base import Phraser, Result
from convonet.agents.offline.phrasing.speech import birthday, listing, moment, plural


def _patient_name(patient: Any) -> str:
    if not isinstance(patient, dict):
        return "the patient"
    return " ".join(str(patient[k]) for k in ("first_name", "last_name") if patient.get(k))


def _registered(result: Result, _args: Result, _now: datetime | None) -> str:
    patient = result.get("patient") or {}
    number = f" The patient number is {patient['id']}." if patient.get("id") is not None else ""
    return f"{_patient_name(patient)} is registered.{number}"


def _patient(result: Result, _args: Result, _now: datetime | None) -> str:
    patient = result.get("patient") or {}
    born = f", born {birthday(patient['date_of_birth'])}" if patient.get("date_of_birth") else ""
    return f"I found {_patient_name(patient)}{born}."


def _intake(result: Result, args: Result, _now: datetime | None) -> str:
    intake = result.get("intake") or {}
    complaint = intake.get("chief_complaint") or args.get("chief_complaint")
    pain = intake.get("pain_level", args.get("pain_level"))
    level = f", with pain at {pain} out of 10" if pain is not None else ""
    return f"Thank you. I've noted: {complaint}{level}. A clinician will review it."


def _appointment_said(appointment: Any, now: datetime | None) -> str:
    if not isinstance(appointment, dict):
        return ""
    who = f" with {appointment['provider']}" if appointment.get("provider") else ""
    return f"{moment(appointment.get('start'), now, on=True)}{who}"


def _booked(result: Result, _args: Result, now: datetime | None) -> str:
    appointment = result.get("appointment") or {}
    reason = f" Reason: {appointment['reason']}." if appointment.get("reason") else ""
    return f"You're booked {_appointment_said(appointment, now)}.{reason}"


def _appointments(result: Result, args: Result, now: datetime | None) -> str:
    items = result.get("appointments") or []
    count = int(result.get("count", len(items)))
    kind = "upcoming " if args.get("upcoming_only", True) else ""
    if count == 0:
        return f"You have no {kind}appointments."
    if count == 1:
        return f"Your appointment is {_appointment_said(items[0], now)}."
    said = [_appointment_said(a, now) for a in items]
    return f"You have {plural(count, kind + 'appointment')}: {listing(said)}."


PHRASERS: dict[str, Phraser] = {
    "register_patient": _registered,
    "get_patient": _patient,
    "record_intake": _intake,
    "book_appointment": _booked,
    "get_appointments": _appointments,
}
