"""Healthcare tools (5): register and find patients, record intakes, book and list appointments.

A patient record is managed by the account that registered it (the patient or a caregiver);
nobody else can read it or act on it. A provider's calendar is shared by everyone, so a
booking is refused when the same provider already has an overlapping appointment.
"""

import re
from datetime import date, datetime, timedelta, tzinfo
from typing import Annotated, Any

from mcp.server.fastmcp.exceptions import ToolError
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.domains.healthcare.crm import sync_appointment, sync_patient
from convonet.domains.healthcare.models import (
    Appointment,
    AppointmentStatus,
    Intake,
    IntakeStatus,
    Patient,
)
from convonet.storage.models import User, utcnow
from convonet.tools.common import (
    check_range,
    clean,
    compact,
    iso,
    local_iso,
    parse_date,
    parse_datetime,
    user_zone,
)
from convonet.tools.framework import Caller, tool

ACTIVE = (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)
MAX_MINUTES = 480  # the longest appointment the model allows
MAX_OLD = 130  # years: an older date of birth is a mistake
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

PatientId = Annotated[
    str | None,
    Field(max_length=64, description="The patient's id; default: your most recent patient"),
]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Items = Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=50)]


def patient_json(patient: Patient) -> dict[str, Any]:
    """The result shape of a patient."""
    return compact(
        {
            "id": patient.id,
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "date_of_birth": iso(patient.date_of_birth),
            "phone": patient.phone or "",
            "email": patient.email or "",
            "allergies": _split(patient.allergies),
            "created_at": iso(patient.created_at),
        }
    )


def appointment_json(appointment: Appointment, zone: tzinfo) -> dict[str, Any]:
    """The result shape of an appointment (times in the caller's zone)."""
    end = appointment.start_at + timedelta(minutes=appointment.duration_minutes)
    return compact(
        {
            "id": appointment.id,
            "patient_id": appointment.patient_id,
            "start": local_iso(appointment.start_at, zone),
            "end": local_iso(end, zone),
            "duration_minutes": appointment.duration_minutes,
            "provider": appointment.provider_name,
            "reason": appointment.reason or "",
            "status": appointment.status.value,
            "intake_id": appointment.intake_id,
        }
    )


def intake_json(
    intake: Intake, allergies: list[str], medications: list[str], pain_level: int | None
) -> dict[str, Any]:
    """The result shape of an intake (the model keeps allergies and medications in notes)."""
    return compact(
        {
            "id": intake.id,
            "patient_id": intake.patient_id,
            "chief_complaint": intake.chief_complaint,
            "symptoms": list(intake.symptoms),
            "allergies": allergies,
            "medications": medications,
            "pain_level": pain_level,
            "status": intake.status.value,
            "created_at": iso(intake.created_at),
        }
    )


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _items(values: list[str]) -> list[str]:
    """Cleaned list items, blanks and repeats (case-insensitive) dropped."""
    seen: dict[str, str] = {}
    for value in values:
        item = clean(value, 200)
        if item and item.casefold() not in seen:
            seen[item.casefold()] = item
    return list(seen.values())


def _birth_date(value: str) -> date:
    born = parse_date(value)
    today = utcnow().date()
    if born > today or born.year < today.year - MAX_OLD:
        raise ToolError(f"{value!r} is not a plausible date of birth")
    return born


def _contact(phone: str, email: str) -> tuple[str | None, str | None]:
    email = clean(email, 320)
    if email and not EMAIL.fullmatch(email):
        raise ToolError(f"{email!r} is not an email address")
    return clean(phone, 32) or None, email.lower() or None


async def _patients(session: AsyncSession, user: User) -> list[Patient]:
    """The caller's patients, most recent first."""
    rows = await session.scalars(
        select(Patient)
        .where(Patient.user_id == user.id)
        .order_by(Patient.created_at.desc(), Patient.id)
    )
    return list(rows.all())


def _one_by_name(patients: list[Patient], last_name: str, born: date | None) -> Patient:
    wanted = last_name.strip().casefold()
    found = [p for p in patients if p.last_name.casefold() == wanted]
    found = [p for p in found if born is None or p.date_of_birth == born]
    if not found:
        raise ToolError(f"you have no patient named {last_name!r} with those details")
    if len(found) > 1:
        names = ", ".join(f"{p.first_name} {p.last_name} ({iso(p.date_of_birth)})" for p in found)
        raise ToolError(f"several patients match: {names}; give the date of birth or the id")
    return found[0]


async def _find_patient(
    session: AsyncSession,
    user: User,
    patient_id: str | None,
    last_name: str | None = None,
    born: date | None = None,
) -> Patient:
    """One of the caller's patients: by id, by last name (and birth date), or the latest."""
    patients = await _patients(session, user)
    if patient_id and patient_id.strip():
        match = next((p for p in patients if p.id == patient_id.strip()), None)
        if match is None:
            raise ToolError(f"you have no patient with id {patient_id!r}")
        return match
    if last_name and last_name.strip():
        return _one_by_name(patients, last_name, born)
    if born is not None:
        return _by_birth(patients, born)
    if not patients:
        raise ToolError("you have no registered patient yet; register one first")
    return patients[0]


def _by_birth(patients: list[Patient], born: date) -> Patient:
    found = [p for p in patients if p.date_of_birth == born]
    if not found:
        raise ToolError(f"you have no patient born on {born.isoformat()}")
    if len(found) > 1:
        raise ToolError(f"several patients were born on {born.isoformat()}; give the last name")
    return found[0]


async def _conflict(
    session: AsyncSession, patient: Patient, provider: str, start: datetime, end: datetime
) -> Appointment | None:
    """An active appointment of the provider (or of the patient) overlapping ``start``-``end``."""
    same = Appointment.patient_id == patient.id
    if provider:
        same = same | (func.lower(Appointment.provider_name) == provider.lower())
    rows = await session.scalars(
        select(Appointment)
        .where(same, Appointment.status.in_(ACTIVE))
        .where(Appointment.start_at < end)
        .where(Appointment.start_at > start - timedelta(minutes=MAX_MINUTES))
    )
    for booked in rows.all():
        if booked.start_at + timedelta(minutes=booked.duration_minutes) > start:
            return booked
    return None


def _refuse(booked: Appointment, patient: Patient, zone: tzinfo) -> None:
    when = booked.start_at.astimezone(zone).strftime("%Y-%m-%d at %H:%M")
    if booked.patient_id == patient.id:
        raise ToolError(f"{patient.first_name} already has an appointment on {when}")
    raise ToolError(f"{booked.provider_name} is already booked on {when}; try another time")


async def _open_intake(session: AsyncSession, patient: Patient) -> str | None:
    """The patient's latest open intake, to link to a new appointment."""
    return await session.scalar(
        select(Intake.id)
        .where(Intake.patient_id == patient.id, Intake.status == IntakeStatus.OPEN)
        .order_by(Intake.created_at.desc())
        .limit(1)
    )


def _intake_notes(allergies: list[str], medications: list[str], pain: int | None) -> str | None:
    lines = [f"Allergies: {', '.join(allergies)}"] if allergies else []
    lines += [f"Medications: {', '.join(medications)}"] if medications else []
    lines += ["Pain level: 0/10"] if pain == 0 else []
    return "\n".join(lines) or None


def _add_allergies(patient: Patient, allergies: list[str]) -> None:
    """Keep the patient's allergies up to date with what an intake reports."""
    known = _split(patient.allergies)
    merged = _items(known + allergies)
    if len(merged) != len(known):
        patient.allergies = ", ".join(merged)


@tool
async def register_patient(
    call: Caller,
    first_name: Name,
    last_name: Name,
    date_of_birth: Annotated[str, Field(max_length=40, description="YYYY-MM-DD")],
    phone: Annotated[str, Field(max_length=32)] = "",
    email: Annotated[str, Field(max_length=320)] = "",
) -> dict[str, Any]:
    """Register a patient (the caller or someone in their care)."""
    born = _birth_date(date_of_birth)
    first, last = clean(first_name, 100), clean(last_name, 100)
    if not first or not last:
        raise ToolError("give the patient's first and last name")
    contact = _contact(phone, email)
    session, user = call.session, call.user
    for known in await _patients(session, user):
        same_name = (known.first_name.casefold(), known.last_name.casefold())
        if same_name == (first.casefold(), last.casefold()) and known.date_of_birth == born:
            return {"patient": patient_json(known), "already_registered": True}
    patient = Patient(user_id=user.id, first_name=first, last_name=last)
    patient.date_of_birth, (patient.phone, patient.email) = born, contact
    session.add(patient)
    await session.flush()
    if call.resources.settings.crm_enabled:
        sync_patient(session, patient)
    return {"patient": patient_json(patient)}


@tool(read_only=True)
async def get_patient(
    call: Caller,
    patient_id: PatientId = None,
    last_name: Annotated[str | None, Field(max_length=100)] = None,
    date_of_birth: Annotated[str | None, Field(max_length=40, description="YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    """Find one of the caller's patients by id, or by last name and date of birth."""
    born = parse_date(date_of_birth) if date_of_birth and date_of_birth.strip() else None
    session, user = call.session, call.user
    patient = await _find_patient(session, user, patient_id, last_name, born)
    return {"patient": patient_json(patient)}


@tool
async def record_intake(
    call: Caller,
    chief_complaint: Annotated[str, Field(min_length=1, max_length=2000)],
    patient_id: PatientId = None,
    symptoms: Items = [],  # noqa: B006 (pydantic copies defaults)
    allergies: Items = [],  # noqa: B006
    medications: Items = [],  # noqa: B006
    pain_level: Annotated[int | None, Field(description="0 (none) to 10 (worst)")] = None,
) -> dict[str, Any]:
    """Record why a patient needs care: complaint, symptoms, allergies, medications, pain."""
    if pain_level is not None:
        check_range(pain_level, 0, 10, "the pain level")
    complaint = clean(chief_complaint, 2000)
    if not complaint:
        raise ToolError("say what the main complaint is")
    allergy_list, medication_list = _items(allergies), _items(medications)
    session, user = call.session, call.user
    patient = await _find_patient(session, user, patient_id)
    intake = Intake(patient_id=patient.id, chief_complaint=complaint)
    intake.symptoms, intake.severity = _items(symptoms), pain_level or None
    intake.notes = _intake_notes(allergy_list, medication_list, pain_level)
    _add_allergies(patient, allergy_list)
    session.add(intake)
    await session.flush()
    return {"intake": intake_json(intake, allergy_list, medication_list, pain_level)}


@tool
async def book_appointment(
    call: Caller,
    start: Annotated[str, Field(max_length=40, description="ISO date-time, in the future")],
    reason: Annotated[str, Field(min_length=1, max_length=1000)],
    patient_id: PatientId = None,
    provider: Annotated[str, Field(max_length=200, description="e.g. Dr. Lee")] = "",
    duration_minutes: Annotated[int, Field(description="5 to 480 minutes")] = 30,
) -> dict[str, Any]:
    """Book an appointment for one of the caller's patients (default: the most recent)."""
    check_range(duration_minutes, 5, MAX_MINUTES, "the duration in minutes")
    session, user = call.session, call.user
    zone = user_zone(user)
    begins = parse_datetime(start, zone)
    if begins <= utcnow():
        raise ToolError("appointments can only be booked in the future")
    patient = await _find_patient(session, user, patient_id)
    who = clean(provider, 200)
    ends = begins + timedelta(minutes=duration_minutes)
    if (booked := await _conflict(session, patient, who, begins, ends)) is not None:
        _refuse(booked, patient, zone)
    appointment = Appointment(patient_id=patient.id, provider_name=who, start_at=begins)
    appointment.duration_minutes, appointment.reason = duration_minutes, clean(reason, 1000)
    appointment.intake_id = await _open_intake(session, patient)
    session.add(appointment)
    await session.flush()
    if call.resources.settings.crm_enabled:
        sync_appointment(session, appointment, patient)
    return {"appointment": appointment_json(appointment, zone)}


@tool(read_only=True)
async def get_appointments(
    call: Caller,
    patient_id: Annotated[
        str | None, Field(max_length=64, description="The patient's id; default: all yours")
    ] = None,
    upcoming_only: bool = True,
) -> dict[str, Any]:
    """List appointments of the caller's patients, soonest first (upcoming only by default)."""
    session, user = call.session, call.user
    if patient_id and patient_id.strip():
        ids = [(await _find_patient(session, user, patient_id)).id]
    else:
        ids = [p.id for p in await _patients(session, user)]
    query = select(Appointment).where(Appointment.patient_id.in_(ids))
    if upcoming_only:
        query = query.where(Appointment.start_at >= utcnow())
        query = query.where(Appointment.status.in_(ACTIVE))
    rows = await session.scalars(query.order_by(Appointment.start_at))
    zone = user_zone(user)
    items = [appointment_json(a, zone) for a in rows.all()]
    return {"appointments": items, "count": len(items)}
