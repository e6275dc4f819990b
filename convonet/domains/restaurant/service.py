"""The one reservation service behind the MCP tools, the REST API and the webhooks.

Tables come from the database (``restaurant_tables``). A reservation holds the smallest free
table that seats the party (or the table asked for) for the restaurant's sitting time;
pending, confirmed and seated reservations occupy their table, cancelled ones free it.
Dates and times are the restaurant's local ones (:class:`DiningRules`). Who may see what is
the caller's business: the service finds a user's own reservations (:meth:`find_own`) or any
(:meth:`get`, for staff and the booking platform).

Every refusal is a :class:`~convonet.errors.ConvonetError` whose message can be read to a
caller: :class:`InvalidInputError` (bad values), :class:`RecordNotFoundError`,
:class:`ConflictError` (a finished reservation) and :class:`BookingConflictError` (no table
free; it carries the free times nearby and the nearest free start).
"""

import re
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from convonet.domains.restaurant.availability import Booking, Day, nearby
from convonet.domains.restaurant.booking import Changes, ListFilter, NewBooking, clean, normal_code
from convonet.domains.restaurant.models import Reservation, ReservationStatus, RestaurantTable
from convonet.domains.restaurant.rules import DiningRules
from convonet.errors import (
    BookingConflictError,
    ConflictError,
    InvalidInputError,
    RecordNotFoundError,
)
from convonet.storage.models import utcnow

MAX_MINUTES = 480  # the longest reservation the model allows
NEAREST_DAYS = 7  # how many days a refusal searches for the nearest free start
ACTIVE = (ReservationStatus.PENDING, ReservationStatus.CONFIRMED, ReservationStatus.SEATED)
SETTABLE = frozenset(  # the statuses a change may set (cancelling has its own call)
    {
        ReservationStatus.CONFIRMED,
        ReservationStatus.SEATED,
        ReservationStatus.COMPLETED,
        ReservationStatus.NO_SHOW,
    }
)
CODE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ"  # no I, L, O: easy to read aloud
CODE_CHARS = CODE_LETTERS + "23456789"  # no 0 or 1 either


class ReservationService:
    """Reservations in one database unit of work, under the restaurant's rules."""

    def __init__(self, session: AsyncSession, rules: DiningRules) -> None:
        self.session = session
        self.rules = rules

    # --- checks -----------------------------------------------------------------------

    def check_party(self, party_size: int) -> None:
        """Refuse a party size the restaurant does not take online."""
        limit = self.rules.max_party
        if party_size > limit:
            raise InvalidInputError(f"we book parties of up to {limit}; for more, please call us")
        if party_size < 1:
            raise InvalidInputError(f"the party size must be between 1 and {limit}")

    def unbookable(self, start: datetime) -> str | None:
        """Why ``start`` can't be booked (past, too far ahead, closed), or ``None``."""
        now = utcnow()
        if start <= now:
            return "that time has already passed; choose a time in the future"
        if start > now + timedelta(days=self.rules.booking_days):
            return f"we take reservations up to {self.rules.booking_days} days ahead"
        if not self.rules.seats_at(start):
            local = start.astimezone(self.rules.zone)
            return self.rules.hours_of(local.date())
        return None

    # --- availability -----------------------------------------------------------------

    async def day(self, start: datetime, *, lock: bool = False) -> Day:
        """Active tables (smallest first) and the bookings that may overlap ``start``'s day.

        With ``lock`` concurrent bookings queue up: PostgreSQL locks the table rows; SQLite
        (which ignores ``FOR UPDATE``) takes its write lock first with a no-op update, so the
        bookings read next are the latest and no other writer can add one until commit.
        """
        active = RestaurantTable.is_active.is_(True)
        query = select(RestaurantTable).where(active)
        query = query.order_by(RestaurantTable.seats, RestaurantTable.label)
        if lock and self.session.get_bind().dialect.name == "sqlite":
            await self.session.execute(
                update(RestaurantTable).where(active).values(seats=RestaurantTable.seats)
            )
        elif lock:
            query = query.with_for_update()
        tables = list(await self.session.scalars(query))
        span = self.rules.day_span(start.astimezone(self.rules.zone).date())
        if span is None:
            return Day(tables, [])
        rows = await self.session.scalars(
            select(Reservation).where(
                Reservation.status.in_(ACTIVE),
                Reservation.reserved_at < span[1],
                Reservation.reserved_at > span[0] - timedelta(minutes=MAX_MINUTES),
            )
        )
        return Day(
            tables,
            [
                Booking(r.id, r.table_id, r.reserved_at, timedelta(minutes=r.duration_minutes))
                for r in rows
            ],
        )

    def _no_table(self, tables: list[RestaurantTable], start: datetime, party: int) -> str:
        if all(t.seats < party for t in tables):
            largest = max((t.seats for t in tables), default=0)
            return f"we have no table for {party}; our largest table seats {largest}"
        local = start.astimezone(self.rules.zone)
        return f"there is no table for {party} at {local:%H:%M} on {local:%A, %B} {local.day}"

    async def nearest_free(
        self, start: datetime, party: int, ignore: str, tables: list[str] | None = None
    ) -> datetime | None:
        """The free start nearest ``start`` on its day, else the first on the next days."""
        now = utcnow()
        for offset in range(NEAREST_DAYS):
            local = start.astimezone(self.rules.zone).date() + timedelta(days=offset)
            moment = start if offset == 0 else self.rules.local(local, time(0, 0))
            day = await self.day(moment)
            if tables is not None:
                day = Day([t for t in day.tables if t.label in tables], day.bookings)
            free = day.free_starts(self.rules, moment, party, ignore, now)
            if free:
                return free[0]
        return None

    async def availability(self, start: datetime, party: int) -> dict[str, Any]:
        """Whether a table is free for ``party`` at ``start``; if not, why, and nearby times."""
        self.check_party(party)
        day = await self.day(start)
        problem = self.unbookable(start)
        table = None if problem else day.free_table(start, party, self.rules.sitting)
        if table is not None:
            return {"available": True, "alternatives": [], "table": _table_json(table)}
        free = day.free_starts(self.rules, start, party, "", utcnow())
        nearest = free[0] if free else await self.nearest_free(start, party, "")
        return {
            "available": False,
            "alternatives": [f"{s.astimezone(self.rules.zone):%H:%M}" for s in nearby(free, start)],
            "nearest_free_slot": nearest.astimezone(self.rules.zone).isoformat()
            if nearest
            else None,
            "reason": problem or self._no_table(day.tables, start, party),
        }

    async def free_slots(self, day: date, party: int) -> list[str]:
        """Every start of ``day`` (``HH:MM``) with a table free for ``party``."""
        self.check_party(party)
        starts = list(self.rules.slots(day))
        if not starts:
            return []
        booked = await self.day(starts[0])
        return [
            f"{s:%H:%M}"
            for s in starts
            if self.unbookable(s) is None and booked.free_table(s, party, self.rules.sitting)
        ]

    async def place(
        self, start: datetime, party: int, ignore: str = "", label: str | None = None
    ) -> RestaurantTable:
        """The table to book for ``party`` at ``start`` (``label``: that table only).

        Raises:
            InvalidInputError: The time can't be booked, or the table is unknown or too small.
            BookingConflictError: No (such) table is free then.
        """
        if (problem := self.unbookable(start)) is not None:
            raise InvalidInputError(problem)
        day = await self.day(start, lock=True)
        if label is not None:
            day = Day([t for t in day.tables if t.label == label], day.bookings)
            if not day.tables:
                raise InvalidInputError(f"there is no table {label!r}")
            if day.tables[0].seats < party:
                raise InvalidInputError(f"table {label} seats {day.tables[0].seats}, not {party}")
        table = day.free_table(start, party, self.rules.sitting, ignore)
        if table is not None:
            return table
        free = day.free_starts(self.rules, start, party, ignore, utcnow())
        options = nearby(free, start)
        only = [label] if label is not None else None
        nearest = free[0] if free else await self.nearest_free(start, party, ignore, only)
        said = ", ".join(f"{s.astimezone(self.rules.zone):%H:%M}" for s in options)
        reason = (
            f"table {label} is taken then" if label else self._no_table(day.tables, start, party)
        )
        reason += f"; free times nearby: {said}" if options else ""
        raise BookingConflictError(reason, options, nearest)

    # --- reservations -----------------------------------------------------------------

    async def create(self, new: NewBooking, user_id: str | None) -> Reservation:
        """Book a table; the reservation gets a fresh confirmation code."""
        self.check_party(new.party_size)
        name = clean(new.name, 200)
        if not name:
            raise InvalidInputError("give the name the reservation is under")
        start = self.rules.local(new.day, new.at)
        table = await self.place(start, new.party_size, label=new.table)
        reservation = Reservation(
            user_id=user_id,
            table=table,
            party_size=new.party_size,
            guest_name=name,
            guest_phone=clean(new.phone, 32) or None,
            special_requests=clean(new.special_requests, 1000) or None,
            reserved_at=start,
            duration_minutes=int(self.rules.sitting.total_seconds() // 60),
            status=ReservationStatus.CONFIRMED,
            confirmation_code=await self._new_code(),
        )
        self.session.add(reservation)
        await self.session.flush()
        return reservation

    async def _new_code(self) -> str:
        """A fresh confirmation code like ``HNK-7Q2X`` (3 letters, 4 letters or digits)."""
        for _ in range(20):
            code = "".join(secrets.choice(CODE_LETTERS) for _ in range(3)) + "-"
            code += "".join(secrets.choice(CODE_CHARS) for _ in range(4))
            taken = await self.session.scalar(
                select(Reservation.id).where(Reservation.confirmation_code == code)
            )
            if taken is None:
                return code
        raise ConflictError("could not make a confirmation code; please try again")

    def _query(self) -> Select[Reservation]:
        return select(Reservation).options(selectinload(Reservation.table))

    async def find_own(
        self, user_id: str, code: str | None, reservation_id: str | None
    ) -> Reservation:
        """A user's reservation by code or id, or their next upcoming one."""
        query = self._query().where(Reservation.user_id == user_id)
        if code and code.strip():
            found = await self.session.scalar(
                query.where(Reservation.confirmation_code == normal_code(code))
            )
            missing = f"you have no reservation with code {code.strip()!r}"
        elif reservation_id and reservation_id.strip():
            found = await self.session.scalar(query.where(Reservation.id == reservation_id.strip()))
            missing = f"you have no reservation with id {reservation_id!r}"
        else:
            upcoming = query.where(
                Reservation.status.in_(ACTIVE), Reservation.reserved_at > utcnow()
            )
            found = await self.session.scalar(upcoming.order_by(Reservation.reserved_at).limit(1))
            missing = "you have no upcoming reservation"
        if found is None:
            raise RecordNotFoundError(missing)
        return found

    async def get(self, reservation_id: str, *, user_id: str | None = None) -> Reservation:
        """The reservation with ``reservation_id`` (only ``user_id``'s, when given)."""
        query = self._query().where(Reservation.id == reservation_id)
        if user_id is not None:
            query = query.where(Reservation.user_id == user_id)
        found = await self.session.scalar(query)
        if found is None:
            raise RecordNotFoundError(f"no reservation with id {reservation_id!r}")
        return found

    async def by_code(self, code: str) -> Reservation:
        """The reservation with confirmation ``code`` (as said or typed)."""
        found = await self.session.scalar(
            self._query().where(Reservation.confirmation_code == normal_code(code))
        )
        if found is None:
            raise RecordNotFoundError(f"no reservation with code {code.strip()!r}")
        return found

    async def by_phone(self, phone: str) -> list[Reservation]:
        """The upcoming active reservations booked with ``phone`` (digits compared)."""
        digits = re.sub(r"\D", "", phone)
        if len(digits) < 7:
            raise InvalidInputError("give a phone number of at least 7 digits")
        query = self._query().where(
            Reservation.status.in_(ACTIVE), Reservation.reserved_at > utcnow()
        )
        rows = await self.session.scalars(query.order_by(Reservation.reserved_at).limit(200))
        return [r for r in rows if re.sub(r"\D", "", r.guest_phone or "").endswith(digits[-10:])]

    async def listing(self, wanted: ListFilter) -> tuple[list[Reservation], int]:
        """A page of reservations in time order, and how many match in all."""
        query = self._query()
        if wanted.user_id is not None:
            query = query.where(Reservation.user_id == wanted.user_id)
        if wanted.day_from is not None:
            query = query.where(
                Reservation.reserved_at >= self.rules.local(wanted.day_from, time())
            )
        if wanted.day_to is not None:
            end = self.rules.local(wanted.day_to + timedelta(days=1), time())
            query = query.where(Reservation.reserved_at < end)
        if wanted.status is not None:
            query = query.where(Reservation.status == wanted.status)
        if wanted.text:
            like = f"%{wanted.text.strip().lower()}%"
            query = query.where(
                or_(
                    func.lower(Reservation.guest_name).like(like),
                    func.lower(Reservation.confirmation_code).like(like),
                    Reservation.guest_phone.like(like),
                )
            )
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        page = query.order_by(Reservation.reserved_at, Reservation.id)
        rows = await self.session.scalars(page.limit(wanted.limit).offset(wanted.offset))
        return list(rows), int(total or 0)

    def check_changeable(self, reservation: Reservation) -> None:
        """Refuse changes to finished or started reservations."""
        if reservation.status not in ACTIVE:
            raise ConflictError(
                f"that reservation is {reservation.status.value} and can't be changed"
            )
        if reservation.reserved_at <= utcnow():
            raise ConflictError("that reservation has already started or passed")

    async def update(self, reservation: Reservation, changes: Changes) -> Reservation:
        """Apply ``changes``, re-checking the tables when the time, party or table moves."""
        if changes.is_empty():
            raise InvalidInputError("say what to change: the date, time, party size or requests")
        if changes.party_size is not None:
            self.check_party(changes.party_size)
        if changes.status is not None and changes.status not in SETTABLE:
            raise InvalidInputError(f"a reservation can't be set to {changes.status.value}")
        self.check_changeable(reservation)
        local = reservation.reserved_at.astimezone(self.rules.zone)
        start = self.rules.local(changes.day or local.date(), changes.at or local.time())
        party = changes.party_size or reservation.party_size
        table = reservation.table
        moved = start != reservation.reserved_at or party != reservation.party_size
        if moved or (changes.table is not None and (table is None or changes.table != table.label)):
            table = await self.place(start, party, ignore=reservation.id, label=changes.table)
        reservation.reserved_at, reservation.party_size, reservation.table = start, party, table
        if changes.special_requests is not None:
            reservation.special_requests = clean(changes.special_requests, 1000) or None
        if changes.name is not None:
            if not (name := clean(changes.name, 200)):
                raise InvalidInputError("the name can't be empty")
            reservation.guest_name = name
        if changes.phone is not None:
            reservation.guest_phone = clean(changes.phone, 32) or None
        if changes.status is not None:
            reservation.status = changes.status
        await self.session.flush()
        return reservation

    async def cancel(self, reservation: Reservation) -> Reservation:
        """Cancel ``reservation`` (its table is free again)."""
        self.check_changeable(reservation)
        reservation.status = ReservationStatus.CANCELLED
        await self.session.flush()
        return reservation

    def as_json(self, reservation: Reservation) -> dict[str, Any]:
        """The result shape of a reservation (date and time in the restaurant's zone)."""
        local = reservation.reserved_at.astimezone(self.rules.zone)
        table = reservation.table
        data = {
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
        return {key: value for key, value in data.items() if value is not None}


def _table_json(table: RestaurantTable) -> dict[str, Any]:
    return {"label": table.label, "seats": table.seats, "area": table.area}
