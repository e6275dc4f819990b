"""What the CRM learns of healthcare: patients become Contacts, appointments Meetings.

Queued in the tool's own transaction (:func:`convonet.crm.outbox.enqueue`), so the CRM hears
of a registration or a booking exactly when it is committed, even if it is down right then.
"""

from datetime import UTC
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from convonet.crm.outbox import crm_id, enqueue
from convonet.domains.healthcare.models import Appointment, Patient


def patient_key(patient: Patient) -> str:
    """The outbox key of a patient's Contact."""
    return f"patient:{patient.id}"


def contact_attributes(patient: Patient) -> dict[str, Any]:
    """A SuiteCRM Contact's fields for ``patient``."""
    return {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "birthdate": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
        "phone_mobile": patient.phone,
        "email1": patient.email,
        "lead_source": "Other",
        "description": f"Patient registered by voice (Convonet patient {patient.id}).",
    }


def meeting_attributes(appointment: Appointment, patient: Patient) -> dict[str, Any]:
    """A SuiteCRM Meeting's fields for ``appointment``, attached to the patient's Contact."""
    hours, minutes = divmod(appointment.duration_minutes, 60)
    start = appointment.start_at.astimezone(UTC).isoformat(timespec="seconds")
    return {
        "name": f"Appointment: {patient.first_name} {patient.last_name}"[:50],
        "date_start": start,
        "duration_hours": hours,
        "duration_minutes": minutes,
        "status": "Planned",
        "location": appointment.provider_name or None,
        "description": appointment.reason,
        "parent_type": "Contacts",
        "parent_id": crm_id(patient_key(patient)),
    }


def sync_patient(session: AsyncSession, patient: Patient) -> None:
    """Queue the patient's Contact (created or updated)."""
    enqueue(session, "Contacts", patient_key(patient), contact_attributes(patient))


def sync_appointment(session: AsyncSession, appointment: Appointment, patient: Patient) -> None:
    """Queue the appointment's Meeting (created or updated)."""
    attributes = meeting_attributes(appointment, patient)
    enqueue(session, "Meetings", f"appointment:{appointment.id}", attributes)
