"""Which table is free when: pure functions over a day's tables and bookings.

A booking occupies its table from its start for its own length; a new party needs a table
that seats it and that no booking holds during the restaurant's sitting time. The smallest
such table is chosen, so large tables stay free for large parties.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from convonet.domains.restaurant.models import RestaurantTable
from convonet.domains.restaurant.rules import MAX_ALTERNATIVES, NEARBY, DiningRules


@dataclass(frozen=True, slots=True)
class Booking:
    """A table's occupied interval (one active reservation)."""

    reservation_id: str
    table_id: str | None
    start: datetime
    length: timedelta


@dataclass(frozen=True, slots=True)
class Day:
    """What decides availability on one day: the active tables and the day's bookings."""

    tables: list[RestaurantTable]
    bookings: list[Booking]

    def free_table(
        self, start: datetime, party: int, sitting: timedelta, ignore: str = ""
    ) -> RestaurantTable | None:
        """The smallest table seating ``party`` that no booking (but ``ignore``) holds then."""
        end = start + sitting
        taken = {
            b.table_id
            for b in self.bookings
            if b.reservation_id != ignore and b.start < end and b.start + b.length > start
        }
        return next((t for t in self.tables if t.seats >= party and t.id not in taken), None)

    def free_starts(
        self, rules: DiningRules, wanted: datetime, party: int, ignore: str, now: datetime
    ) -> list[datetime]:
        """Every free, bookable start of ``wanted``'s day but ``wanted``, nearest first."""
        day = wanted.astimezone(rules.zone).date()
        horizon = now + timedelta(days=rules.booking_days)
        starts = [s for s in rules.slots(day) if s != wanted and now < s <= horizon]
        starts.sort(key=lambda s: (abs(s - wanted), s))
        return [s for s in starts if self.free_table(s, party, rules.sitting, ignore)]


def nearby(free: list[datetime], wanted: datetime) -> list[datetime]:
    """Up to three of the ``free`` starts (nearest first) within 3 hours of ``wanted``."""
    close = [s for s in free if abs(s - wanted) <= NEARBY]
    return sorted(close[:MAX_ALTERNATIVES])
