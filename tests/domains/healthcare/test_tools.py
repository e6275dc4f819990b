"""Healthcare tools over MCP: patients, intakes, double-booking rules, user isolation."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from convonet.domains.healthcare.models import Appointment, AppointmentStatus, Intake
from convonet.storage.models import utcnow
from tests.fakes.mcp_harness import ToolCallError, ToolHarness, tool_harness

GROUPS = ["healthcare"]
NEW_YORK = ZoneInfo("America/New_York")


def tomorrow_at(hour: int, minute: int = 0) -> str:
    """Tomorrow (New York) at ``hour:minute``, as the agent sends it (no offset)."""
    day = datetime.now(NEW_YORK).date() + timedelta(days=1)
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


async def patient(tools: ToolHarness, user: str, first: str, last: str, born: str) -> str:
    args = {"first_name": first, "last_name": last, "date_of_birth": born}
    return str((await tools.call("register_patient", args, user=user))["patient"]["id"])


async def test_register_and_find_patients(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        jane = await tools.call(
            "register_patient",
            {
                "first_name": "Jane",
                "last_name": "Doe",
                "date_of_birth": "1980-02-29",
                "phone": "+15555550100",
                "email": "Jane@Example.com",
            },
            user=ann,
        )
        assert jane["patient"]["date_of_birth"] == "1980-02-29"
        assert jane["patient"]["email"] == "jane@example.com"
        john = await patient(tools, ann, "John", "Doe", "2010-06-01")

        assert (await tools.call("get_patient", user=ann))["patient"]["id"] == john
        with pytest.raises(
            ToolCallError, match=r"several patients match: .*Jane Doe \(1980-02-29\)"
        ):
            await tools.call("get_patient", {"last_name": "doe"}, user=ann)
        found = await tools.call(
            "get_patient", {"last_name": "DOE", "date_of_birth": "1980-02-29"}, user=ann
        )
        assert found["patient"]["first_name"] == "Jane"
        by_birth = await tools.call("get_patient", {"date_of_birth": "2010-06-01"}, user=ann)
        assert by_birth["patient"]["id"] == john
        by_id = await tools.call("get_patient", {"patient_id": jane["patient"]["id"]}, user=ann)
        assert by_id["patient"]["phone"] == "+15555550100"

        again = await tools.call(
            "register_patient",
            {"first_name": "jane", "last_name": "doe", "date_of_birth": "1980-02-29"},
            user=ann,
        )
        assert again["already_registered"] is True
        assert again["patient"]["id"] == jane["patient"]["id"]


async def test_intake_maps_to_the_model(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        jane = await patient(tools, ann, "Jane", "Doe", "1980-02-29")
        intake = (
            await tools.call(
                "record_intake",
                {
                    "chief_complaint": "persistent cough",
                    "symptoms": ["cough", "Cough", " fever ", ""],
                    "allergies": ["penicillin"],
                    "medications": ["ibuprofen 200 mg"],
                    "pain_level": 7,
                },
                user=ann,
            )
        )["intake"]
        assert intake["patient_id"] == jane and intake["status"] == "open"
        assert intake["symptoms"] == ["cough", "fever"]
        assert intake["pain_level"] == 7 and intake["medications"] == ["ibuprofen 200 mg"]
        painless = await tools.call(
            "record_intake",
            {"chief_complaint": "check-up", "allergies": ["Penicillin", "latex"], "pain_level": 0},
            user=ann,
        )
        assert painless["intake"]["pain_level"] == 0

        async with tools.resources.db.session() as session:
            rows = (await session.scalars(select(Intake).order_by(Intake.created_at))).all()
        assert [r.severity for r in rows] == [7, None]
        assert rows[0].symptoms == ["cough", "fever"]
        assert rows[0].notes is not None and "Medications: ibuprofen 200 mg" in rows[0].notes
        assert rows[1].notes is not None and "Pain level: 0/10" in rows[1].notes
        found = await tools.call("get_patient", user=ann)
        assert found["patient"]["allergies"] == ["penicillin", "latex"]

        for args, message in [
            ({"chief_complaint": "x", "pain_level": 11}, "pain level must be between 0 and 10"),
            ({"chief_complaint": "x", "pain_level": -1}, "pain level"),
            ({"chief_complaint": ""}, "chief_complaint"),
            ({"chief_complaint": "   "}, "main complaint"),
            ({"chief_complaint": "x", "symptoms": "cough"}, "symptoms"),
        ]:
            with pytest.raises(ToolCallError, match=message):
                await tools.call("record_intake", args, user=ann)


async def test_booking_refuses_double_booking(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann", timezone="America/New_York")
        bob = await tools.user("bob@example.com", "Bob", timezone="America/New_York")
        jane = await patient(tools, ann, "Jane", "Doe", "1980-02-29")
        await patient(tools, bob, "Rob", "Roe", "1975-01-01")
        await tools.call("record_intake", {"chief_complaint": "cough"}, user=ann)

        booked = await tools.call(
            "book_appointment",
            {"start": tomorrow_at(10), "reason": "cough", "provider": "Dr. Lee"},
            user=ann,
        )
        appointment = booked["appointment"]
        assert appointment["start"].startswith(tomorrow_at(10))  # in the caller's zone
        assert appointment["end"].startswith(tomorrow_at(10, 30))
        assert appointment["patient_id"] == jane and appointment["intake_id"]

        book = "book_appointment"
        for args, message in [
            ({"start": tomorrow_at(10, 15), "provider": "dr. lee"}, "Dr. Lee is already booked"),
            ({"start": tomorrow_at(9, 30), "provider": "Dr. Lee", "duration_minutes": 60}, "Lee"),
        ]:
            with pytest.raises(ToolCallError, match=message) as refused:
                await tools.call(book, {"reason": "flu", **args}, user=bob)
            assert "Jane" not in str(refused.value)  # never tells who holds the slot
        with pytest.raises(ToolCallError, match="Jane already has an appointment"):
            await tools.call(
                book, {"start": tomorrow_at(10, 10), "reason": "x", "provider": "Dr. Kim"}, user=ann
            )
        adjacent = await tools.call(
            book, {"start": tomorrow_at(10, 30), "reason": "flu", "provider": "Dr. Lee"}, user=bob
        )
        assert adjacent["appointment"]["provider"] == "Dr. Lee"


async def test_bad_bookings_fail_and_cancelling_frees_the_slot(
    tool_deps,
) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann", timezone="America/New_York")
        await patient(tools, ann, "Jane", "Doe", "1980-02-29")
        book = "book_appointment"
        past = (datetime.now(NEW_YORK) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        for args, message in [
            ({"start": past}, "only be booked in the future"),
            ({"start": "next tuesday-ish"}, "not a date-time"),
            ({"start": tomorrow_at(15), "duration_minutes": 600}, "duration in minutes"),
            ({"start": tomorrow_at(15), "duration_minutes": 4}, "duration in minutes"),
            ({"start": tomorrow_at(15), "reason": ""}, "reason"),
        ]:
            with pytest.raises(ToolCallError, match=message):
                await tools.call(book, {"reason": "x", **args}, user=ann)

        lee = {"start": tomorrow_at(10), "reason": "x", "provider": "Dr. Lee"}
        first = (await tools.call(book, lee, user=ann))["appointment"]
        with pytest.raises(ToolCallError, match="already"):
            await tools.call(book, lee, user=ann)
        async with tools.resources.db.session() as session:
            await session.execute(
                update(Appointment)
                .where(Appointment.id == first["id"])
                .values(status=AppointmentStatus.CANCELLED)
            )
        rebooked = await tools.call(book, lee, user=ann)
        assert rebooked["appointment"]["status"] == "scheduled"


async def test_appointments_list_upcoming_by_default(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann", timezone="America/New_York")
        jane = await patient(tools, ann, "Jane", "Doe", "1980-02-29")
        john = await patient(tools, ann, "John", "Doe", "2010-06-01")
        later = await tools.call(
            "book_appointment",
            {"start": tomorrow_at(16), "reason": "check-up", "patient_id": jane},
            user=ann,
        )
        await tools.call("book_appointment", {"start": tomorrow_at(9), "reason": "shots"}, user=ann)
        async with tools.resources.db.session() as session:
            session.add(
                Appointment(
                    patient_id=jane,
                    provider_name="Dr. Old",
                    start_at=utcnow() - timedelta(days=3),
                    reason="old visit",
                )
            )

        upcoming = await tools.call("get_appointments", user=ann)
        assert upcoming["count"] == 2
        assert [a["reason"] for a in upcoming["appointments"]] == ["shots", "check-up"]
        assert upcoming["appointments"][0]["patient_id"] == john
        everything = await tools.call("get_appointments", {"upcoming_only": False}, user=ann)
        assert [a["reason"] for a in everything["appointments"]] == [
            "old visit",
            "shots",
            "check-up",
        ]
        janes = await tools.call(
            "get_appointments", {"patient_id": jane, "upcoming_only": False}, user=ann
        )
        assert [a["reason"] for a in janes["appointments"]] == ["old visit", "check-up"]
        assert janes["appointments"][1]["id"] == later["appointment"]["id"]


async def test_users_never_see_or_use_each_others_patients(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        bob = await tools.user("bob@example.com", "Bob")
        jane = await patient(tools, ann, "Jane", "Doe", "1980-02-29")
        await tools.call("book_appointment", {"start": tomorrow_at(10), "reason": "x"}, user=ann)

        with pytest.raises(ToolCallError, match="no registered patient"):
            await tools.call("get_patient", user=bob)
        with pytest.raises(ToolCallError, match="no patient named 'Doe'"):
            await tools.call(
                "get_patient", {"last_name": "Doe", "date_of_birth": "1980-02-29"}, user=bob
            )
        for name, args in [
            ("get_patient", {"patient_id": jane}),
            ("record_intake", {"patient_id": jane, "chief_complaint": "x"}),
            ("book_appointment", {"patient_id": jane, "start": tomorrow_at(12), "reason": "x"}),
            ("get_appointments", {"patient_id": jane}),
        ]:
            with pytest.raises(ToolCallError, match="no patient with id"):
                await tools.call(name, args, user=bob)
        assert (await tools.call("get_appointments", user=bob))["count"] == 0
        assert (await tools.call("get_appointments", user=ann))["count"] == 1


async def test_bad_and_sql_ish_patient_details(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        register = "register_patient"
        base = {"first_name": "Jane", "last_name": "Doe", "date_of_birth": "1980-02-29"}
        tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
        for args, message in [
            ({"date_of_birth": tomorrow}, "not a plausible date of birth"),
            ({"date_of_birth": "1800-01-01"}, "not a plausible date of birth"),
            ({"date_of_birth": "1980-02-30"}, "not a date"),
            ({"email": "jane at example"}, "not an email address"),
            ({"first_name": "  "}, "first and last name"),
            ({"last_name": ""}, "last_name"),
        ]:
            with pytest.raises(ToolCallError, match=message):
                await tools.call(register, base | args, user=ann)
        with pytest.raises(ToolCallError, match="no registered patient"):
            await tools.call("record_intake", {"chief_complaint": "x"}, user=ann)

        sneaky = "O'Brien'); DROP TABLE patients; --"
        await tools.call(register, base | {"last_name": sneaky}, user=ann)
        found = await tools.call("get_patient", {"last_name": sneaky}, user=ann)
        assert found["patient"]["last_name"] == sneaky
        complaint = "pain\"; DELETE FROM intakes WHERE '1'='1"
        intake = await tools.call("record_intake", {"chief_complaint": complaint}, user=ann)
        assert intake["intake"]["chief_complaint"] == complaint
