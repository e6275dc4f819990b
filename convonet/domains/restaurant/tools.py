"""Restaurant tools (5): check availability, book, look up, change and cancel reservations.

Thin wrappers over :class:`~convonet.domains.restaurant.service.ReservationService`, the one
implementation the REST API and the webhooks use too: the tools parse the spoken date and
time, scope every look-up to the caller's own reservations and turn the service's refusals
into tool errors the agent can read out. Dates and times are the restaurant's local ones
(``RESTAURANT_TIMEZONE``).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from mcp.server.fastmcp.exceptions import ToolError
from pydantic import Field

from convonet.domains.restaurant.booking import Changes, NewBooking
from convonet.domains.restaurant.rules import DiningRules
from convonet.domains.restaurant.service import ReservationService
from convonet.errors import ConflictError, InvalidInputError, RecordNotFoundError
from convonet.tools.common import clean, parse_date, parse_time
from convonet.tools.framework import Caller, tool

DateArg = Annotated[str, Field(max_length=40, description="YYYY-MM-DD")]
TimeArg = Annotated[str, Field(max_length=20, description="HH:MM, 24 h")]
PartySize = Annotated[int, Field(description="Number of guests")]
Code = Annotated[str | None, Field(max_length=32, description="Confirmation code, e.g. HNK-7Q2X")]
ReservationId = Annotated[str | None, Field(max_length=64, description="The reservation's id")]
Requests = Annotated[str | None, Field(max_length=1000, description="Special requests")]


@asynccontextmanager
async def _service(call: Caller) -> AsyncIterator[ReservationService]:
    """The service on the call's unit of work; its refusals become tool errors."""
    try:
        yield ReservationService(call.session, DiningRules.from_settings(call.resources.settings))
    except (InvalidInputError, RecordNotFoundError, ConflictError) as error:
        raise ToolError(str(error)) from error


@tool(read_only=True)
async def check_availability(
    call: Caller,
    date: DateArg,
    time: TimeArg,
    party_size: PartySize,
) -> dict[str, Any]:
    """Whether a table for the party is free then; if not, up to 3 nearby free times."""
    async with _service(call) as service:
        start = service.rules.local(parse_date(date), parse_time(time))
        result = await service.availability(start, party_size)
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
    async with _service(call) as service:
        day, at = parse_date(date), parse_time(time)
        new = NewBooking(day, at, party_size, name, phone, special_requests)
        reservation = await service.create(new, call.user.id)
        return {"reservation": service.as_json(reservation)}


@tool(read_only=True)
async def get_reservation(
    call: Caller,
    confirmation_code: Code = None,
    reservation_id: ReservationId = None,
) -> dict[str, Any]:
    """Look up one of the caller's reservations (default: their next one)."""
    async with _service(call) as service:
        reservation = await service.find_own(call.user.id, confirmation_code, reservation_id)
        return {"reservation": service.as_json(reservation)}


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
    async with _service(call) as service:
        changes = Changes(
            day=parse_date(date) if date and clean(date) else None,
            at=parse_time(time) if time and clean(time) else None,
            party_size=party_size,
            special_requests=special_requests,
        )
        if changes.is_empty():
            raise InvalidInputError("say what to change: the date, time, party size or requests")
        reservation = await service.find_own(call.user.id, confirmation_code, reservation_id)
        await service.update(reservation, changes)
        return {"reservation": service.as_json(reservation)}


@tool
async def cancel_reservation(
    call: Caller,
    confirmation_code: Code = None,
    reservation_id: ReservationId = None,
) -> dict[str, Any]:
    """Cancel one of the caller's reservations (default: their next one)."""
    async with _service(call) as service:
        reservation = await service.find_own(call.user.id, confirmation_code, reservation_id)
        await service.cancel(reservation)
        return {"reservation": service.as_json(reservation)}
