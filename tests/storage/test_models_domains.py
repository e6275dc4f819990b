"""Mortgage, healthcare, restaurant, call center and call history: round trips and constraints."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from convonet.domains.healthcare.models import Appointment, AppointmentStatus, Intake, Patient
from convonet.domains.mortgage.models import (
    ApplicationStatus,
    DocumentStatus,
    LoanType,
    MortgageApplication,
    MortgageDocument,
)
from convonet.domains.restaurant.models import Reservation, ReservationStatus, RestaurantTable
from convonet.storage.db import Database
from convonet.storage.models import (
    AgentState,
    Base,
    Call,
    CallCenterAgent,
    Department,
    TransferOutcome,
    User,
)

NOON = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)


async def _add(db: Database, *records: Base) -> None:
    async with db.session() as session:
        session.add_all(records)


async def _count(db: Database, model: type[Base]) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _user(db: Database, email: str = "ann@example.com") -> User:
    user = User(email=email, name="Ann")
    await _add(db, user)
    return user


async def _refused(db: Database, *records: Base) -> None:
    with pytest.raises(IntegrityError):
        await _add(db, *records)


async def test_mortgage_application_with_checklist(database: Database) -> None:
    user = await _user(database)
    application = MortgageApplication(
        user_id=user.id,
        loan_type=LoanType.FHA,
        loan_amount=Decimal("250000.50"),
        property_value=Decimal("300000.00"),
        credit_score=690,
    )
    await _add(database, application)
    await _add(
        database,
        MortgageDocument(application_id=application.id, doc_type="w2"),
        MortgageDocument(
            application_id=application.id, doc_type="pay_stubs", status=DocumentStatus.UPLOADED
        ),
    )
    async with database.session() as session:
        loaded = await session.get_one(MortgageApplication, application.id)
        assert loaded.status is ApplicationStatus.DRAFT and loaded.term_years == 30
        assert loaded.loan_amount == Decimal("250000.50") and loaded.currency == "USD"
        documents = (await session.scalars(select(MortgageDocument))).all()
        assert {(d.doc_type, d.status, d.required) for d in documents} == {
            ("w2", DocumentStatus.MISSING, True),
            ("pay_stubs", DocumentStatus.UPLOADED, True),
        }
    await _refused(database, MortgageDocument(application_id=application.id, doc_type="w2"))
    await _refused(database, MortgageApplication(user_id=user.id, credit_score=900))
    async with database.session() as session:
        await session.execute(delete(MortgageApplication))
    assert await _count(database, MortgageDocument) == 0


async def test_patient_intake_and_appointment(database: Database) -> None:
    user = await _user(database)
    patient = Patient(
        user_id=user.id, first_name="Jo", last_name="Lee", date_of_birth=date(1990, 2, 3)
    )
    await _add(database, patient)
    intake = Intake(
        patient_id=patient.id, chief_complaint="cough", symptoms=["cough", "fever"], severity=4
    )
    await _add(database, intake)
    await _add(
        database,
        Appointment(
            patient_id=patient.id, intake_id=intake.id, provider_name="Dr. Who", start_at=NOON
        ),
    )
    async with database.session() as session:
        loaded = await session.get_one(Intake, intake.id)
        assert loaded.symptoms == ["cough", "fever"] and loaded.severity == 4
        appointment = await session.scalar(select(Appointment))
        assert appointment is not None and appointment.status is AppointmentStatus.SCHEDULED
        assert appointment.start_at == NOON and appointment.duration_minutes == 30
        assert (await session.get_one(Patient, patient.id)).date_of_birth == date(1990, 2, 3)
    await _refused(database, Intake(patient_id=patient.id, chief_complaint="x", severity=11))
    async with database.session() as session:
        await session.execute(delete(User))
    async with database.session() as session:
        assert (await session.get_one(Patient, patient.id)).user_id is None  # record stays
        await session.execute(delete(Patient))
    assert await _count(database, Intake) == 0 and await _count(database, Appointment) == 0


def _reservation(**fields: Any) -> Reservation:
    values: dict[str, Any] = {
        "guest_name": "Sam",
        "party_size": 4,
        "reserved_at": NOON,
        "confirmation_code": "ABC123",
    }
    values.update(fields)
    return Reservation(**values)


async def test_tables_and_reservations(database: Database) -> None:
    table = RestaurantTable(label="T1", seats=4, area="patio")
    await _add(database, table)
    await _add(database, _reservation(table_id=table.id, special_requests="window"))
    async with database.session() as session:
        reservation = await session.scalar(select(Reservation))
        assert reservation is not None and reservation.status is ReservationStatus.CONFIRMED
        assert (reservation.party_size, reservation.reserved_at) == (4, NOON)
        assert reservation.duration_minutes == 90
    await _refused(database, _reservation(confirmation_code="ABC123"))
    await _refused(database, _reservation(confirmation_code="Z1", party_size=0))
    await _refused(database, RestaurantTable(label="T1", seats=2))
    await _refused(database, RestaurantTable(label="T9", seats=0))
    async with database.session() as session:
        await session.execute(delete(RestaurantTable))
    async with database.session() as session:
        reservation = await session.scalar(select(Reservation))
        assert reservation is not None and reservation.table_id is None


async def test_departments_and_agents(database: Database) -> None:
    user = await _user(database)
    support = Department(name="support", extension="2001")
    await _add(database, support)
    await _add(
        database, CallCenterAgent(user_id=user.id, department_id=support.id, extension="3001")
    )
    async with database.session() as session:
        agent = await session.scalar(select(CallCenterAgent))
        assert agent is not None and agent.state is AgentState.LOGGED_OUT
        assert agent.state_since.tzinfo is not None
        agent.state, agent.state_since = AgentState.READY, NOON
    async with database.session() as session:
        agent = await session.scalar(select(CallCenterAgent))
        assert agent is not None and (agent.state, agent.state_since) == (
            AgentState.READY,
            NOON,
        )
    await _refused(database, Department(name="support", extension="2009"))
    await _refused(database, Department(name="sales", extension="2001"))
    other = await _user(database, "bo@example.com")
    await _refused(database, CallCenterAgent(user_id=user.id, extension="3002"))
    await _refused(database, CallCenterAgent(user_id=other.id, extension="3001"))
    async with database.session() as session:
        await session.execute(delete(User).where(User.id == user.id))
    assert await _count(database, CallCenterAgent) == 0


async def test_call_history(database: Database) -> None:
    user = await _user(database)
    billing = Department(name="billing", extension="2003")
    await _add(database, billing)
    transcript = [
        {"role": "user", "text": "I need billing", "at": NOON.isoformat()},
        {"role": "assistant", "text": "Transferring you now.", "at": NOON.isoformat()},
    ]
    call = Call(
        session_id="s" * 32,
        channel="twilio",
        user_id=user.id,
        caller_number="+15550003333",
        call_sid="CA123",
        started_at=NOON,
        ended_at=NOON + timedelta(minutes=2),
        transcript=transcript,
        summary="Asked for billing.",
        transfer_outcome=TransferOutcome.CONNECTED,
        transfer_department_id=billing.id,
        details={"voice_to_voice_ms": [640, 710]},
    )
    await _add(database, call)
    async with database.session() as session:
        loaded = await session.get_one(Call, call.id)
        assert loaded.transcript == transcript and loaded.summary == "Asked for billing."
        assert loaded.transfer_outcome is TransferOutcome.CONNECTED
        assert loaded.ended_at is not None and loaded.ended_at - loaded.started_at == timedelta(
            minutes=2
        )
        assert loaded.details == {"voice_to_voice_ms": [640, 710]}
    await _add(database, Call(session_id="t" * 32, channel="text"))  # anonymous, no transfer
    await _refused(database, Call(session_id="s" * 32, channel="text"))
    async with database.session() as session:
        await session.execute(delete(Department))
        await session.execute(delete(User))
    async with database.session() as session:
        loaded = await session.get_one(Call, call.id)
        assert (loaded.user_id, loaded.transfer_department_id) == (None, None)  # history stays
