"""``/api/reservations``: Hanok Table's reservation API (the booking page's too).

Access:

* ``GET /api/reservations/availability`` and ``POST /api/reservations`` need no sign-in:
  they are what the public ``/reserve-online`` page uses. An anonymous booking must give a
  phone number, and each client address may make ``RESERVATION_PUBLIC_LIMIT`` attempts per
  ``RESERVATION_PUBLIC_WINDOW_SECS`` (then 429 with ``Retry-After``). With a bearer token the
  reservation belongs to that user and no limit applies; a bad token is 401, never anonymous.
* Listing, reading, changing and cancelling need an access token: staff (agent, supervisor,
  admin) see every reservation, other users only their own (others' are 404). Only staff
  may choose a table or set a status (seated, completed, no-show).
"""

from datetime import date as Date
from datetime import time as Time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, status

from convonet.api.deps import RuntimeDep
from convonet.auth.deps import STAFF_ROLES, CurrentUser, MaybeUser
from convonet.auth.tokens import TokenClaims
from convonet.domains.restaurant.api_models import (
    AvailabilityOut,
    ReservationIn,
    ReservationOut,
    ReservationPage,
    ReservationPatch,
)
from convonet.domains.restaurant.booking import Changes, ListFilter, NewBooking
from convonet.domains.restaurant.http import CONFLICT, availability_answer, reservations
from convonet.domains.restaurant.models import Reservation, ReservationStatus
from convonet.runtime import Runtime

router = APIRouter(prefix="/api/reservations", tags=["reservations"])
PUBLIC_SCOPE = "booking"
ReservationId = Annotated[
    str, Path(pattern=r"^[0-9a-f]{32}$", description="The reservation's id (32 hex digits)")
]
Responses = dict[int | str, dict[str, Any]]
AUTH: Responses = {401: {"description": "Missing or bad access token"}}
NOT_FOUND: Responses = {404: {"description": "No such reservation (or not yours)"}}


def _staff(claims: TokenClaims | None) -> bool:
    return claims is not None and bool(STAFF_ROLES & set(claims.roles))


def _owner(claims: TokenClaims) -> str | None:
    """Whose reservations ``claims`` may see (``None``: everyone's)."""
    return None if _staff(claims) else claims.user_id


async def _limit_public(runtime: Runtime, request: Request) -> None:
    """Count an anonymous booking attempt of the client's address; refuse over the limit."""
    settings = runtime.settings
    address = request.client.host if request.client else "unknown"
    count, retry = await runtime.store.count_request(
        PUBLIC_SCOPE, address, settings.reservation_public_window_secs
    )
    if count > settings.reservation_public_limit:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many bookings from this address; try again in {retry} s or sign in",
            headers={"Retry-After": str(retry)},
        )


@router.get("/availability", responses={422: {"description": "Bad date, time or party"}})
async def availability(
    runtime: RuntimeDep,
    date: Annotated[Date, Query(description="YYYY-MM-DD, restaurant time")],
    party_size: Annotated[int, Query(ge=1, le=100)],
    time: Annotated[Time | None, Query(description="HH:MM; without it, the day's slots")] = None,
) -> AvailabilityOut:
    """Free tables: at one time (with nearby alternatives), or every free slot of a day."""
    async with reservations(runtime) as service:
        return await availability_answer(service, date, time, party_size)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**AUTH, **CONFLICT, 422: {}, 429: {"description": "Too many anonymous bookings"}},
)
async def create(
    runtime: RuntimeDep, request: Request, body: ReservationIn, claims: MaybeUser
) -> ReservationOut:
    """Book a table (no sign-in needed: the public booking page uses this)."""
    if claims is None:
        await _limit_public(runtime, request)
        if not body.phone:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "give a phone number to book without sign-in"
            )
    if body.table is not None and not _staff(claims):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only staff choose a table")
    new = NewBooking(
        body.date,
        body.time,
        body.party_size,
        body.name,
        body.phone,
        body.special_requests,
        body.table,
    )
    async with reservations(runtime) as service:
        made = await service.create(new, claims.user_id if claims else None)
        return ReservationOut(**service.as_json(made))


@router.get("", responses={**AUTH, 422: {"description": "Bad filter"}})
async def listing(
    runtime: RuntimeDep,
    claims: CurrentUser,
    date_from: Annotated[Date | None, Query(description="From this local date")] = None,
    date_to: Annotated[Date | None, Query(description="Up to this local date (inclusive)")] = None,
    status_is: Annotated[ReservationStatus | None, Query(alias="status")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Name/code/phone")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ReservationPage:
    """Reservations in time order (staff: everyone's; others: their own)."""
    if date_from and date_to and date_to < date_from:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "date_to is before date_from")
    wanted = ListFilter(date_from, date_to, status_is, q, _owner(claims), limit, offset)
    async with reservations(runtime) as service:
        rows, total = await service.listing(wanted)
        items = [ReservationOut(**service.as_json(r)) for r in rows]
    return ReservationPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{reservation_id}", responses={**AUTH, **NOT_FOUND})
async def read(
    runtime: RuntimeDep, claims: CurrentUser, reservation_id: ReservationId
) -> ReservationOut:
    """One reservation."""
    async with reservations(runtime) as service:
        found = await service.get(reservation_id, user_id=_owner(claims))
        return ReservationOut(**service.as_json(found))


@router.patch("/{reservation_id}", responses={**AUTH, **NOT_FOUND, **CONFLICT, 403: {}, 422: {}})
async def change(
    runtime: RuntimeDep, claims: CurrentUser, reservation_id: ReservationId, body: ReservationPatch
) -> ReservationOut:
    """Change a reservation's time, party, details (staff: also its table or status)."""
    if (body.table is not None or body.status is not None) and not _staff(claims):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only staff change a table or status")
    changes = Changes(**body.model_dump(exclude={"date", "time"}), day=body.date, at=body.time)
    async with reservations(runtime) as service:
        found: Reservation = await service.get(reservation_id, user_id=_owner(claims))
        await service.update(found, changes)
        return ReservationOut(**service.as_json(found))


@router.delete("/{reservation_id}", responses={**AUTH, **NOT_FOUND, **CONFLICT})
async def cancel(
    runtime: RuntimeDep, claims: CurrentUser, reservation_id: ReservationId
) -> ReservationOut:
    """Cancel a reservation (it stays listed as cancelled; its table is free again)."""
    async with reservations(runtime) as service:
        found = await service.get(reservation_id, user_id=_owner(claims))
        await service.cancel(found)
        return ReservationOut(**service.as_json(found))
