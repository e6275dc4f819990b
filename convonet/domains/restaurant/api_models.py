"""Request and response bodies of the reservation API, the webhooks and the call-control status."""

from datetime import date as Date
from datetime import time as Time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from convonet.domains.restaurant.models import ReservationStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=32, pattern=r"^[0-9+()\-. ]*$")
]
Requests = Annotated[str, Field(max_length=1000)]
TableLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Party = Annotated[int, Field(ge=1, le=100, description="Number of guests")]


class Strict(BaseModel):
    """Unknown fields are refused (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class ReservationIn(Strict):
    """A reservation to book (local date and time of the restaurant)."""

    date: Date
    time: Time = Field(description="HH:MM, 24 h, restaurant time")
    party_size: Party
    name: Name
    phone: Phone = ""
    special_requests: Requests = ""
    table: TableLabel | None = Field(default=None, description="A table's label (staff only)")


class ReservationPatch(Strict):
    """What to change (fields left out are kept)."""

    date: Date | None = None
    time: Time | None = None
    party_size: Party | None = None
    name: Name | None = None
    phone: Phone | None = None
    special_requests: Requests | None = None
    table: TableLabel | None = Field(default=None, description="Move to this table (staff only)")
    status: ReservationStatus | None = Field(
        default=None, description="seated, completed, no_show or confirmed (staff only)"
    )


class ReservationOut(BaseModel):
    """A reservation as the API shows it (date, time and ``start`` in restaurant time)."""

    id: str
    confirmation_code: str
    name: str
    phone: str
    party_size: int
    date: str
    time: str
    start: str
    duration_minutes: int
    table: str | None = None
    area: str | None = None
    status: str
    special_requests: str


class ReservationPage(BaseModel):
    """One page of a reservation listing."""

    items: list[ReservationOut]
    total: int
    limit: int
    offset: int


class TableOut(BaseModel):
    """A table that would be given."""

    label: str
    seats: int
    area: str


class AvailabilityOut(BaseModel):
    """Availability on a day (``slots``) or at one time (``available`` and the rest)."""

    date: str
    party_size: int
    timezone: str
    time: str | None = None
    available: bool | None = None
    table: TableOut | None = None
    alternatives: list[str] = Field(default_factory=list, description="Free HH:MM nearby")
    nearest_free_slot: str | None = Field(default=None, description="ISO date-time")
    reason: str | None = None
    slots: list[str] | None = Field(default=None, description="Every free HH:MM of the day")


class HanokEvent(Strict):
    """A booking platform's reservation event (flat: the fields each event needs).

    * ``reservation.created``: ``date``, ``time``, ``party_size``, ``name`` (+ ``phone``,
      ``special_requests``, ``table``).
    * ``reservation.updated``: ``id`` or ``confirmation_code``, and the fields to change.
    * ``reservation.cancelled``: ``id`` or ``confirmation_code``.
    """

    event: Literal["reservation.created", "reservation.updated", "reservation.cancelled"]
    id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] | None = None
    confirmation_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    date: Date | None = None
    time: Time | None = None
    party_size: Party | None = None
    name: Name | None = None
    phone: Phone | None = None
    special_requests: Requests | None = None
    table: TableLabel | None = None


class AvailabilityAsk(Strict):
    """A platform's availability question (without ``time``: the day's free slots)."""

    date: Date
    time: Time | None = None
    party_size: Party


class WebhookResult(BaseModel):
    """What a webhook did."""

    event: str
    reservation: ReservationOut


class CallControlStatus(BaseModel):
    """The restaurant right now, and the reservations asked about (by code or phone)."""

    restaurant: str
    now: str
    open_now: bool
    today: str = Field(description="Today's seating hours in words")
    rules: dict[str, object]
    reservations: list[ReservationOut] | None = None
