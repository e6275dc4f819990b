"""What callers ask of the reservation service: a booking, changes, a listing's filter."""

import re
from dataclasses import dataclass, fields
from datetime import date, time

from convonet.domains.restaurant.models import ReservationStatus


@dataclass(frozen=True, slots=True)
class NewBooking:
    """A reservation to make (local date and time)."""

    day: date
    at: time
    party_size: int
    name: str
    phone: str = ""
    special_requests: str = ""
    table: str | None = None


@dataclass(frozen=True, slots=True)
class Changes:
    """What to change in a reservation (``None``: keep)."""

    day: date | None = None
    at: time | None = None
    party_size: int | None = None
    special_requests: str | None = None
    name: str | None = None
    phone: str | None = None
    table: str | None = None
    status: ReservationStatus | None = None

    def is_empty(self) -> bool:
        """Whether nothing would change."""
        return all(getattr(self, item.name) is None for item in fields(self))


@dataclass(frozen=True, slots=True)
class ListFilter:
    """Which reservations a listing shows (local dates, inclusive)."""

    day_from: date | None = None
    day_to: date | None = None
    status: ReservationStatus | None = None
    text: str | None = None
    user_id: str | None = None
    limit: int = 50
    offset: int = 0


def clean(value: str | None, limit: int) -> str:
    """Trim free text and bound its length."""
    return (value or "").strip()[:limit]


def normal_code(value: str) -> str:
    """A code as said or typed (``hnk 7q2x``, ``HNK7Q2X``) → the stored form ``HNK-7Q2X``."""
    letters = re.sub(r"[^A-Z0-9]", "", value.upper())
    return f"{letters[:3]}-{letters[3:]}" if len(letters) == 7 else value.strip().upper()
