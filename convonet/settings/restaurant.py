"""Restaurant settings: Hanok Table's hours, booking rules and booking-platform webhooks."""

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class RestaurantSettings(BaseModel):
    """Opening hours, table rules and the webhook secret of the restaurant domain."""

    # --- restaurant reservations, Hanok Table (issue 14) ---------------------------------
    restaurant_timezone: str = Field(
        default="America/New_York",
        description="IANA timezone of the restaurant: reservation dates and times are its "
        "local ones, whoever books.",
    )
    restaurant_hours: dict[str, str] = Field(
        default_factory=lambda: dict.fromkeys(WEEKDAYS, "11:30-22:00"),
        description="Seating windows per weekday (first to last seating, local time), JSON: "
        '{"mon": "11:30-14:00,17:30-22:00", ...}; a weekday left out or empty is closed.',
    )
    restaurant_sitting_minutes: int = Field(
        default=90, ge=15, le=480, description="How long a reservation holds its table."
    )
    restaurant_slot_minutes: int = Field(
        default=30, ge=5, le=120, description="Grid of bookable times (alternatives, the page)."
    )
    restaurant_max_party: int = Field(
        default=20, ge=1, le=100, description="Largest party booked online or by voice."
    )
    restaurant_booking_days: int = Field(
        default=180, ge=1, le=730, description="How far ahead reservations are taken."
    )
    reservation_public_limit: int = Field(
        default=10,
        ge=1,
        description="Bookings one client address may make without signing in per window "
        "(POST /api/reservations from /reserve-online); more get 429.",
    )
    reservation_public_window_secs: int = Field(
        default=3600, ge=10, description="Window of RESERVATION_PUBLIC_LIMIT."
    )
    hanok_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret of the booking platform's webhooks (/webhooks/hanok_table/*, "
        "HMAC-SHA256) and of /call-control/reservation/status; both refuse every request "
        "while unset.",
    )
    hanok_webhook_tolerance_secs: int = Field(
        default=300,
        ge=10,
        le=3600,
        description="Largest clock difference a signed webhook's timestamp may have (older or "
        "newer gets 401); signatures are remembered this long to refuse replays (409).",
    )

    @field_validator("restaurant_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """Refuse a timezone name the tz database does not know."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r} (use an IANA name)") from None
        return value

    @field_validator("restaurant_hours")
    @classmethod
    def _seating_windows(cls, value: dict[str, str]) -> dict[str, str]:
        """Refuse unknown weekdays and windows that are not ``HH:MM-HH:MM`` (first ≤ last)."""
        for day, windows in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})")
            for window in filter(None, (w.strip() for w in windows.split(","))):
                first, _, last = window.partition("-")
                try:
                    opens, closes = (
                        time.fromisoformat(first.strip()),
                        time.fromisoformat(last.strip()),
                    )
                except ValueError:
                    raise ValueError(f"{day}: {window!r} is not HH:MM-HH:MM") from None
                if opens > closes:
                    raise ValueError(f"{day}: {window!r} ends before it starts")
        return value
