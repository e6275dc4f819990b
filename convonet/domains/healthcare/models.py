"""Healthcare: patients, their intake forms and appointments."""

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convonet.storage.models.base import (
    ID_LENGTH,
    Base,
    CreatedMixin,
    IdMixin,
    TimestampMixin,
    str_enum,
)


class IntakeStatus(enum.StrEnum):
    """Where an intake is in triage."""

    OPEN = "open"
    TRIAGED = "triaged"
    CLOSED = "closed"


class AppointmentStatus(enum.StrEnum):
    """The state of an appointment."""

    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class Patient(IdMixin, TimestampMixin, Base):
    """A patient record.

    Attributes:
        user_id: The account managing this record (the patient or a caregiver); the record
            stays, unlinked, when that account is deleted.
    """

    __tablename__ = "patients"
    __table_args__ = (Index("ix_patients_last_name_first_name", "last_name", "first_name"),)

    user_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None]
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    insurance_provider: Mapped[str | None] = mapped_column(String(200))
    insurance_member_id: Mapped[str | None] = mapped_column(String(100))
    allergies: Mapped[str | None] = mapped_column(Text)

    intakes: Mapped[list["Intake"]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True
    )
    appointments: Mapped[list["Appointment"]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True
    )


class Intake(IdMixin, CreatedMixin, Base):
    """An intake form: why the patient is calling, before an appointment.

    Attributes:
        symptoms: The symptoms named, as a JSON list of strings.
        severity: Self-reported, 1 (mild) to 10 (worst).
    """

    __tablename__ = "intakes"
    __table_args__ = (
        CheckConstraint("severity IS NULL OR severity BETWEEN 1 AND 10", name="severity_range"),
    )

    patient_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    chief_complaint: Mapped[str] = mapped_column(Text)
    symptoms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    severity: Mapped[int | None]
    status: Mapped[IntakeStatus] = mapped_column(
        str_enum(IntakeStatus, "status"), default=IntakeStatus.OPEN
    )
    notes: Mapped[str | None] = mapped_column(Text)

    patient: Mapped[Patient] = relationship(back_populates="intakes")


class Appointment(IdMixin, TimestampMixin, Base):
    """A booked visit."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration_range"),
        Index("ix_appointments_provider_name_start_at", "provider_name", "start_at"),
    )

    patient_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    intake_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("intakes.id", ondelete="SET NULL")
    )
    provider_name: Mapped[str] = mapped_column(String(200))
    specialty: Mapped[str | None] = mapped_column(String(100))
    start_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=30)
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[AppointmentStatus] = mapped_column(
        str_enum(AppointmentStatus, "status"), default=AppointmentStatus.SCHEDULED
    )

    patient: Mapped[Patient] = relationship(back_populates="appointments")
