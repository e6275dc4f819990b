"""Restaurant tools (5): check availability, book, look up, change and cancel reservations.

Tables come from the database (``restaurant_tables``). A reservation holds the smallest free
table that seats the party for :data:`SITTING` (the model's 90 minutes); pending, confirmed
and seated reservations occupy their table, cancelled ones free it. Dates and times are the
caller's local ones. Callers only ever see and change their own reservations.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Annotated, Any

from mcp.server.fastmcp.exceptions import ToolError
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from convonet.domains.restaurant.models import Reservation, ReservationStatus, RestaurantTable
from convonet.storage.models import User, utcnow
from convonet.tools.common import (
    check_range,
    clean,
    compact,
    parse_date,
    parse_time,
    user_zone,
)
from convonet.tools.framework import Caller, tool

SITTING_MINUTES = 90  # the model's default
SITTING = timedelta(minutes=SITTING_MINUTES)
MAX_MINUTES = 480  # the longest reservation the model allows
FIRST_SEATING, LAST_SEATING = time(11, 30), time(22, 0)
SLOT = timedelta(minutes=30)  # alternatives are offered on the half hour
NEARBY = timedelta(hours=3)  # ... within this much of the time asked for
MAX_ALTERNATIVES, MAX_PARTY, BOOKING_DAYS = 3, 20, 180
ACTIVE = (ReservationStatus.PENDING, ReservationStatus.CONFIRMED, ReservationStatus.SEATED)
CODE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ"  # no I, L, O: easy to read aloud
CODE_CHARS = CODE_LETTERS + "23456789"  # no 0 or 1 either

DateArg = Annotated[str, Field(max_length=40, description="YYYY-MM-DD")]
TimeArg = Annotated[str, Field(max_length=20, description="HH:MM, 24 h")]
PartySize = Annotated[int, Field(description="Number of guests (1-20)")]
Code = Annotated[str | None, Field(max_length=32, description="Confirmation code, e.g. HNK-7Q2X")]
ReservationId = Annotated[str | None, Field(max_length=64, description="The reservation's id")]
Requests = Annotated[str | None, Field(max_length=1000, description="Special requests")]


@dataclass(frozen=True, slots=True)
class Booking:
    """A table's occupied interval (one active reservation)."""

    reservation_id: str
    table_id: str | None
    start: datetime
    length: timedelta


def reservation_json(reservation: Reservation, zone: tzinfo) -> dict[str, Any]:
    """The result shape of a reservation (date and time in the caller's zone)."""
    local = reservation.reserved_at.astimezone(zone)
    table = reservation.table
    return compact(
        {
            "id": reservation.id,
            "confirmation_code": reservation.confirmation_code,
            "name": reservation.guest_name,
            "phone": reservation.guest_phone or "",
            "party_size": reservation.party_size,
            "date": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
            "start": local.isoformat(),
            "duration_minutes": reservation.duration_minutes,
            "table": table.label if table is not None else None,
            "area": table.area if table is not None else None,
            "status": reservation.status.value,
            "special_requests": reservation.special_requests or "",
        }
    )


def _table_json(table: RestaurantTable) -> dict[str, Any]:
    return {"label": table.label, "seats": table.seats, "area": table.area}


def _when(day: str, at: str, zone: tzinfo) -> datetime:
    """A local date and time (as the caller says them) → an aware date-time."""
    moment = parse_time(at).replace(second=0, microsecond=0, tzinfo=None)
    return datetime.combine(parse_date(day), moment, tzinfo=zone)


def _check_party(party_size: int) -> None:
    if party_size > MAX_PARTY:
        raise ToolError(f"we book parties of up to {MAX_PARTY}; for more, please call us")
    check_range(party_size, 1, MAX_PARTY, "the party size")


def _unbookable(start: datetime) -> str | None:
    """Why a local ``start`` can't be booked (past, too far ahead, closed), or ``None``."""
    now = utcnow()
    if start <= now:
        return "that time has already passed; choose a time in the future"
    if start > now + timedelta(days=BOOKING_DAYS):
        return f"we take reservations up to {BOOKING_DAYS} days ahead"
    if not FIRST_SEATING <= start.time() <= LAST_SEATING:
        return f"we seat guests between {FIRST_SEATING:%H:%M} and {LAST_SEATING:%H:%M}"
    return None


async def _day(
    session: AsyncSession, start: datetime, *, lock: bool = False
) -> tuple[list[RestaurantTable], list[Booking]]:
    """Active tables (smallest first) and the bookings of ``start``'s day that may overlap.

    With ``lock`` the table rows are locked (PostgreSQL) so concurrent bookings queue up.
    """
    query = select(RestaurantTable).where(RestaurantTable.is_active.is_(True))
    query = query.order_by(RestaurantTable.seats, RestaurantTable.label)
    tables = list((await session.scalars(query.with_for_update() if lock else query)).all())
    opens = datetime.combine(start.date(), FIRST_SEATING, tzinfo=start.tzinfo)
    closes = datetime.combine(start.date(), LAST_SEATING, tzinfo=start.tzinfo) + SITTING
    rows = await session.scalars(
        select(Reservation).where(
            Reservation.status.in_(ACTIVE),
            Reservation.reserved_at < closes,
            Reservation.reserved_at > opens - timedelta(minutes=MAX_MINUTES),
        )
    )
    bookings = [
        Booking(r.id, r.table_id, r.reserved_at, timedelta(minutes=r.duration_minutes))
        for r in rows.all()
    ]
    return tables, bookings


def free_table(
    tables: list[RestaurantTable], bookings: list[Booking], start: datetime, party: int, ignore: str
) -> RestaurantTable | None:
    """The smallest table seating ``party`` that no booking (but ``ignore``) holds then."""
    end = start + SITTING
    taken = {
        b.table_id
        for b in bookings
        if b.reservation_id != ignore and b.start < end and b.start + b.length > start
    }
    return next((t for t in tables if t.seats >= party and t.id not in taken), None)


def alternatives(
    tables: list[RestaurantTable],
    bookings: list[Booking],
    wanted: datetime,
    party: int,
    ignore: str,
) -> list[str]:
    """Up to three bookable free times (``HH:MM``) that day near ``wanted``, in time order."""
    slot = datetime.combine(wanted.date(), FIRST_SEATING, tzinfo=wanted.tzinfo)
    candidates = []
    while slot.time() <= LAST_SEATING and slot.date() == wanted.date():
        if slot != wanted and abs(slot - wanted) <= NEARBY and _unbookable(slot) is None:
            candidates.append(slot)
        slot += SLOT
    candidates.sort(key=lambda s: (abs(s - wanted), s))
    free = [s for s in candidates if free_table(tables, bookings, s, party, ignore) is not None]
    return [s.strftime("%H:%M") for s in sorted(free[:MAX_ALTERNATIVES])]


def _no_table(tables: list[RestaurantTable], start: datetime, party: int) -> str:
    if all(t.seats < party for t in tables):
        largest = max((t.seats for t in tables), default=0)
        return f"we have no table for {party}; our largest table seats {largest}"
    return f"there is no table for {party} at {start:%H:%M} on {start:%A, %B} {start.day}"


async def _place(
    session: AsyncSession, start: datetime, party: int, ignore: str = ""
) -> RestaurantTable:
    """The table to book for ``party`` at ``start``, or a refusal naming nearby free times."""
    if (problem := _unbookable(start)) is not None:
        raise ToolError(problem)
    tables, bookings = await _day(session, start, lock=True)
    table = free_table(tables, bookings, start, party, ignore)
    if table is not None:
        return table
    options = alternatives(tables, bookings, start, party, ignore)
    instead = f"; free times nearby: {', '.join(options)}" if options else ""
    raise ToolError(_no_table(tables, start, party) + instead)


async def _availability(session: AsyncSession, start: datetime, party: int) -> dict[str, Any]:
    """The result of ``check_availability``."""
    tables, bookings = await _day(session, start)
    problem = _unbookable(start)
    table = free_table(tables, bookings, start, party, "") if problem is None else None
    if table is not None:
        return {"available": True, "alternatives": [], "table": _table_json(table)}
    return {
        "available": False,
        "alternatives": alternatives(tables, bookings, start, party, ""),
        "reason": problem or _no_table(tables, start, party),
    }


async def _new_code(session: AsyncSession) -> str:
    """A fresh confirmation code like ``HNK-7Q2X`` (3 letters, 4 letters or digits)."""
    for _ in range(20):
        code = "".join(secrets.choice(CODE_LETTERS) for _ in range(3)) + "-"
        code += "".join(secrets.choice(CODE_CHARS) for _ in range(4))
        taken = await session.scalar(
            select(Reservation.id).where(Reservation.confirmation_code == code)
        )
        if taken is None:
            return code
    raise ToolError("could not make a confirmation code; please try again")


def _normal_code(value: str) -> str:
    """A code as said or typed (``hnk 7q2x``, ``HNK7Q2X``) → the stored form ``HNK-7Q2X``."""
    letters = re.sub(r"[^A-Z0-9]", "", value.upper())
    return f"{letters[:3]}-{letters[3:]}" if len(letters) == 7 else value.strip().upper()


async def _find(
    session: AsyncSession, user: User, code: str | None, reservation_id: str | None
) -> Reservation:
    """The caller's reservation by code or id, or their next upcoming one."""
    query = select(Reservation).where(Reservation.user_id == user.id)
    query = query.options(selectinload(Reservation.table))
    if code and code.strip():
        found = await session.scalar(
            query.where(Reservation.confirmation_code == _normal_code(code))
        )
        missing = f"you have no reservation with code {code.strip()!r}"
    elif reservation_id and reservation_id.strip():
        found = await session.scalar(query.where(Reservation.id == reservation_id.strip()))
        missing = f"you have no reservation with id {reservation_id!r}"
    else:
        upcoming = query.where(Reservation.status.in_(ACTIVE), Reservation.reserved_at > utcnow())
        found = await session.scalar(upcoming.order_by(Reservation.reserved_at).limit(1))
        missing = "you have no upcoming reservation"
    if found is None:
        raise ToolError(missing)
    return found


def _check_changeable(reservation: Reservation) -> None:
    if reservation.status not in ACTIVE:
        raise ToolError(f"that reservation is {reservation.status.value} and can't be changed")
    if reservation.reserved_at <= utcnow():
        raise ToolError("that reservation has already started or passed")


async def _change(
    session: AsyncSession,
    reservation: Reservation,
    zone: tzinfo,
    moment: tuple[str | None, str | None],
    party_size: int | None,
) -> None:
    """Move ``reservation`` to a new date/time and/or party size, re-checking the tables."""
    _check_changeable(reservation)
    local = reservation.reserved_at.astimezone(zone)
    day, at = moment
    start = _when(day or local.date().isoformat(), at or local.strftime("%H:%M"), zone)
    party = party_size if party_size is not None else reservation.party_size
    if start != reservation.reserved_at or party != reservation.party_size:
        table = await _place(session, start, party, ignore=reservation.id)
        reservation.reserved_at, reservation.party_size, reservation.table = start, party, table


@tool
async def check_availability(
    call: Caller,
    date: DateArg,
    time: TimeArg,
    party_size: PartySize,
) -> dict[str, Any]:
    """Whether a table for the party is free then; if not, up to 3 nearby free times."""
    _check_party(party_size)
    session, user = call.session, call.user
    start = _when(date, time, user_zone(user))
    result = await _availability(session, start, party_size)
    return result | {"date": start.date().isoformat(), "time": f"{start:%H:%M}"}


@tool
async def create_reservation(
    call: Caller,
    date: DateArg,
    time: TimeArg,
    party_size: PartySize,
    name: Annotated[str, Field(min_length=1, max_length=200, description="Guest name")],
    phone: Annotated[str, Field(max_length=32)] = "",
    special_requests: Annotated[str, Field(max_length=1000)] = "",
) -> dict[str, Any]:
    """Book a table for the caller; the reply carries the confirmation code."""
    _check_party(party_size)
    if not clean(name, 200):
        raise ToolError("give the name the reservation is under")
    session, user = call.session, call.user
    zone = user_zone(user)
    start = _when(date, time, zone)
    table = await _place(session, start, party_size)
    reservation = Reservation(user_id=user.id, table=table, party_size=party_size)
    reservation.guest_name, reservation.guest_phone = (
        clean(name, 200),
        clean(phone, 32) or None,
    )
    reservation.special_requests = clean(special_requests, 1000) or None
    reservation.reserved_at, reservation.duration_minutes = start, SITTING_MINUTES
    reservation.status = ReservationStatus.CONFIRMED
    reservation.confirmation_code = await _new_code(session)
    session.add(reservation)
    await session.flush()
    return {"reservation": reservation_json(reservation, zone)}


@tool
async def get_reservation(
    call: Caller,
    confirmation_code: Code = None,
    reservation_id: ReservationId = None,
) -> dict[str, Any]:
    """Look up one of the caller's reservations (default: their next one)."""
    session, user = call.session, call.user
    reservation = await _find(session, user, confirmation_code, reservation_id)
    return {"reservation": reservation_json(reservation, user_zone(user))}


@tool
async def update_reservation(
    call: Caller,
    confirmation_code: Code = None,
    reservation_id: ReservationId = None,
    date: Annotated[str | None, Field(max_length=40, description="New date, YYYY-MM-DD")] = None,
    time: Annotated[str | None, Field(max_length=20, description="New time, HH:MM")] = None,
    party_size: Annotated[int | None, Field(description="New number of guests")] = None,
    special_requests: Requests = None,
) -> dict[str, Any]:
    """Change the date, time, party size or requests of a reservation (default: the next)."""
    if party_size is not None:
        _check_party(party_size)
    moment = (clean(date) or None, clean(time) or None)
    if moment == (None, None) and party_size is None and special_requests is None:
        raise ToolError("say what to change: the date, time, party size or requests")
    session, user = call.session, call.user
    zone = user_zone(user)
    reservation = await _find(session, user, confirmation_code, reservation_id)
    await _change(session, reservation, zone, moment, party_size)
    if special_requests is not None:
        reservation.special_requests = clean(special_requests, 1000) or None
    return {"reservation": reservation_json(reservation, zone)}


@tool
async def cancel_reservation(
    call: Caller,
    confirmation_code: Code = None,
    reservation_id: ReservationId = None,
) -> dict[str, Any]:
    """Cancel one of the caller's reservations (default: their next one)."""
    session, user = call.session, call.user
    reservation = await _find(session, user, confirmation_code, reservation_id)
    _check_changeable(reservation)
    reservation.status = ReservationStatus.CANCELLED
    return {"reservation": reservation_json(reservation, user_zone(user))}
