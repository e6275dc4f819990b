"""The reservation service under rules that are data: split hours, closed days, timezone, limits."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from convonet.domains.restaurant.models import RestaurantTable
from convonet.domains.restaurant.rules import DiningRules, parse_windows
from convonet.domains.restaurant.service import NewBooking, ReservationService
from convonet.errors import BookingConflictError, InvalidInputError
from convonet.settings import Settings
from convonet.storage.db import Database

SEOUL = ZoneInfo("Asia/Seoul")


def rules(hours: dict[int, str], **overrides: object) -> DiningRules:
    values: dict[str, object] = {
        "zone": SEOUL,
        "windows": {day: parse_windows(hours.get(day, "")) for day in range(7)},
        "sitting": timedelta(minutes=90),
        "slot": timedelta(minutes=30),
        "max_party": 6,
        "booking_days": 60,
    }
    return DiningRules(**{**values, **overrides})  # type: ignore[arg-type]


def next_day(weekday: int) -> date:
    day = datetime.now(SEOUL).date() + timedelta(days=2)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def test_rules_come_from_the_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        _env_file=None,
        environment="test",
        data_dir=tmp_path,  # type: ignore[call-arg]
        restaurant_timezone="Asia/Seoul",
        restaurant_hours={"fri": "17:30-21:00,11:30-14:00"},
        restaurant_max_party=12,
    )
    made = DiningRules.from_settings(settings)
    assert made.zone == SEOUL and made.max_party == 12
    assert made.windows[4] == ((time(11, 30), time(14, 0)), (time(17, 30), time(21, 0)))
    assert made.windows[0] == ()  # Monday left out: closed
    assert made.as_json()["hours"]["fri"] == ["11:30-14:00", "17:30-21:00"]
    for bad in (
        {"restaurant_timezone": "Mars/Olympus"},
        {"restaurant_hours": {"fri": "9pm"}},
        {"restaurant_hours": {"fri": "22:00-11:00"}},
        {"restaurant_hours": {"xmas": ""}},
    ):
        with pytest.raises(ValueError, match="restaurant_"):
            Settings(_env_file=None, environment="test", data_dir=tmp_path, **bad)  # type: ignore[arg-type]


async def test_split_hours_closed_days_zone_and_limits(database: Database) -> None:
    friday, monday = next_day(4), next_day(0)
    split = rules({4: "11:30-13:00,18:00-19:00"})
    async with database.session() as session:
        session.add_all([RestaurantTable(label="A", seats=2), RestaurantTable(label="B", seats=6)])
        await session.flush()
        service = ReservationService(session, split)
        slots = await service.free_slots(friday, 2)
        assert slots == ["11:30", "12:00", "12:30", "13:00", "18:00", "18:30", "19:00"]
        assert await service.free_slots(monday, 2) == []
        with pytest.raises(InvalidInputError, match="between 11:30 and 13:00, and between 18:00"):
            await service.create(NewBooking(friday, time(15, 0), 2, "Kim"), None)
        with pytest.raises(InvalidInputError, match="closed on Mondays"):
            await service.create(NewBooking(monday, time(12, 0), 2, "Kim"), None)
        with pytest.raises(InvalidInputError, match="parties of up to 6"):
            await service.availability(split.local(friday, time(12, 0)), 7)
        with pytest.raises(InvalidInputError, match="up to 60 days ahead"):
            await service.create(
                NewBooking(friday + timedelta(days=63), time(12, 0), 2, "Kim"), None
            )

        made = await service.create(NewBooking(friday, time(18, 30), 2, "Lee"), None)
        shown = service.as_json(made)
        assert (shown["date"], shown["time"], shown["table"]) == (friday.isoformat(), "18:30", "A")
        assert shown["start"].endswith("+09:00")  # the restaurant's zone, not the server's


async def test_a_full_day_names_the_nearest_free_slot_on_a_later_day(database: Database) -> None:
    friday = next_day(4)
    one_seating = rules({4: "19:00-19:00", 6: "12:00-12:00"})  # Friday and Sunday, one slot
    async with database.session() as session:
        session.add(RestaurantTable(label="Only", seats=4))
        await session.flush()
        service = ReservationService(session, one_seating)
        await service.create(NewBooking(friday, time(19, 0), 4, "First"), None)
        with pytest.raises(BookingConflictError) as refused:
            await service.create(NewBooking(friday, time(19, 0), 2, "Second"), None)
        assert refused.value.alternatives == []
        sunday_noon = one_seating.local(friday + timedelta(days=2), time(12, 0))
        assert refused.value.nearest == sunday_noon
        assert "no table for 2 at 19:00" in str(refused.value)
        free = await service.availability(one_seating.local(friday, time(19, 0)), 2)
        assert free["available"] is False
        assert free["nearest_free_slot"] == sunday_noon.isoformat()
