"""The restaurant's rules as data: timezone, seating windows per weekday, sitting, limits.

They come from the ``RESTAURANT_*`` settings (validated there), so a deployment changes its
opening hours, timezone or party limit without a code change; table sizes are rows of
``restaurant_tables``. Times are the restaurant's local ones.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from convonet.settings import Settings
from convonet.settings.restaurant import WEEKDAYS

NEARBY = timedelta(hours=3)  # alternatives are offered within this much of the time asked for
MAX_ALTERNATIVES = 3

Window = tuple[time, time]


def parse_windows(text: str) -> tuple[Window, ...]:
    """``"11:30-14:00,17:30-22:00"`` → ((11:30, 14:00), (17:30, 22:00)); ``""`` → closed."""
    windows = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("-")
        windows.append((time.fromisoformat(first.strip()), time.fromisoformat(last.strip())))
    return tuple(sorted(windows))


@dataclass(frozen=True, slots=True)
class DiningRules:
    """When and how the restaurant takes reservations.

    Attributes:
        zone: The restaurant's timezone.
        windows: Weekday (Monday = 0) → seating windows (first and last seating, inclusive).
        sitting: How long a reservation holds its table.
        slot: The grid of bookable times offered (alternatives, the booking page).
        max_party: The largest party taken.
        booking_days: How many days ahead reservations are taken.
    """

    zone: ZoneInfo
    windows: dict[int, tuple[Window, ...]]
    sitting: timedelta
    slot: timedelta
    max_party: int
    booking_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "DiningRules":
        """The rules the ``RESTAURANT_*`` settings describe."""
        hours = settings.restaurant_hours
        return cls(
            zone=ZoneInfo(settings.restaurant_timezone),
            windows={i: parse_windows(hours.get(day, "")) for i, day in enumerate(WEEKDAYS)},
            sitting=timedelta(minutes=settings.restaurant_sitting_minutes),
            slot=timedelta(minutes=settings.restaurant_slot_minutes),
            max_party=settings.restaurant_max_party,
            booking_days=settings.restaurant_booking_days,
        )

    def local(self, day: date, at: time) -> datetime:
        """``day`` at ``at`` in the restaurant's timezone."""
        return datetime.combine(day, at.replace(second=0, microsecond=0, tzinfo=None), self.zone)

    def seats_at(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware) falls in a seating window of its local day."""
        local = moment.astimezone(self.zone)
        at = local.time().replace(tzinfo=None)
        return any(first <= at <= last for first, last in self.windows[local.weekday()])

    def hours_of(self, day: date) -> str:
        """When ``day``'s guests are seated, in words (``"we seat guests between ..."``)."""
        windows = self.windows[day.weekday()]
        if not windows:
            return f"we are closed on {day:%A}s"
        said = ", and ".join(f"between {a:%H:%M} and {b:%H:%M}" for a, b in windows)
        return f"we seat guests {said}"

    def slots(self, day: date) -> Iterator[datetime]:
        """Every bookable start of ``day`` on the slot grid, in time order."""
        for first, last in self.windows[day.weekday()]:
            moment, end = self.local(day, first), self.local(day, last)
            while moment <= end:
                yield moment
                moment += self.slot

    def day_span(self, day: date) -> tuple[datetime, datetime] | None:
        """From ``day``'s first seating to the end of its last sitting, or ``None`` if closed."""
        windows = self.windows[day.weekday()]
        if not windows:
            return None
        return self.local(day, windows[0][0]), self.local(day, windows[-1][1]) + self.sitting

    def as_json(self) -> dict[str, object]:
        """The rules as the status endpoint shows them."""
        return {
            "timezone": self.zone.key,
            "hours": {
                WEEKDAYS[i]: [f"{a:%H:%M}-{b:%H:%M}" for a, b in windows]
                for i, windows in self.windows.items()
            },
            "sitting_minutes": int(self.sitting.total_seconds() // 60),
            "slot_minutes": int(self.slot.total_seconds() // 60),
            "max_party": self.max_party,
            "booking_days": self.booking_days,
        }
