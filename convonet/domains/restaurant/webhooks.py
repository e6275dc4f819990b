"""``/webhooks/hanok_table/*`` and ``/call-control/reservation/status``: platforms' entries.

A booking platform posts reservation events (created, updated, cancelled) to
``POST /webhooks/hanok_table/reservation`` and asks ``POST /webhooks/hanok_table/availability``
for free tables (the variables of its call flow); a telephony platform's call flow asks
``GET /call-control/reservation/status`` whether the restaurant is open and what a caller's
reservation is (by confirmation code or by the caller's phone number). Both are signed (see
:mod:`convonet.domains.restaurant.signing`); the status also admits a staff access token,
for the call-center pages. Both act through the one reservation service, as staff would:
the platform is trusted with any reservation it names.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from convonet.api.deps import RuntimeDep
from convonet.auth.deps import STAFF_ROLES, current_claims
from convonet.domains.restaurant.api_models import (
    AvailabilityAsk,
    AvailabilityOut,
    CallControlStatus,
    HanokEvent,
    ReservationOut,
    WebhookResult,
)
from convonet.domains.restaurant.booking import Changes, NewBooking
from convonet.domains.restaurant.http import CONFLICT, availability_answer, reservations
from convonet.domains.restaurant.models import Reservation
from convonet.domains.restaurant.service import ReservationService
from convonet.domains.restaurant.signing import SIGNED_RESPONSES, verify_signed
from convonet.errors import InvalidInputError
from convonet.storage.models import utcnow

router = APIRouter(tags=["hanok-table webhooks"])
_bearer = HTTPBearer(auto_error=False)
RESTAURANT = "Hanok Table"
_EVENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": HanokEvent.model_json_schema()}},
    }
}


async def _target(service: ReservationService, event: HanokEvent) -> Reservation:
    if event.id:
        return await service.get(event.id)
    if event.confirmation_code:
        return await service.by_code(event.confirmation_code)
    raise InvalidInputError(f"{event.event} needs the reservation's id or confirmation_code")


async def _apply(service: ReservationService, event: HanokEvent) -> Reservation:
    """Do what ``event`` says, through the service."""
    if event.event == "reservation.created":
        if not (event.date and event.time and event.party_size and event.name):
            raise InvalidInputError("reservation.created needs date, time, party_size and name")
        new = NewBooking(
            event.date,
            event.time,
            event.party_size,
            event.name,
            event.phone or "",
            event.special_requests or "",
            event.table,
        )
        return await service.create(new, None)
    found = await _target(service, event)
    if event.event == "reservation.cancelled":
        return await service.cancel(found)
    changes = Changes(
        day=event.date,
        at=event.time,
        party_size=event.party_size,
        special_requests=event.special_requests,
        name=event.name,
        phone=event.phone,
        table=event.table,
    )
    return await service.update(found, changes)


@router.post(
    "/webhooks/hanok_table/reservation",
    openapi_extra=_EVENT_BODY,
    responses={**SIGNED_RESPONSES, **CONFLICT, 404: {}, 422: {}},
)
async def reservation_event(runtime: RuntimeDep, request: Request) -> WebhookResult:
    """A booking platform's reservation event (signed; see the signing headers)."""
    raw = await verify_signed(runtime, request)
    try:
        event = HanokEvent.model_validate_json(raw)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None
    async with reservations(runtime) as service:
        done = await _apply(service, event)
        return WebhookResult(event=event.event, reservation=ReservationOut(**service.as_json(done)))


@router.post(
    "/webhooks/hanok_table/availability",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": AvailabilityAsk.model_json_schema()}},
        }
    },
    responses={**SIGNED_RESPONSES, 422: {}},
)
async def availability_lookup(runtime: RuntimeDep, request: Request) -> AvailabilityOut:
    """A platform's call flow asks for free tables (its variables for the caller; signed)."""
    raw = await verify_signed(runtime, request)
    try:
        ask = AvailabilityAsk.model_validate_json(raw)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None
    async with reservations(runtime) as service:
        return await availability_answer(service, ask.date, ask.time, ask.party_size)


async def _call_control_access(
    runtime: RuntimeDep,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Admit a signed request, or a staff access token."""
    if credentials is None:
        await verify_signed(runtime, request)
        return
    claims = await current_claims(runtime, credentials)
    if not STAFF_ROLES & set(claims.roles):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs an agent or supervisor role")


@router.get(
    "/call-control/reservation/status",
    dependencies=[Depends(_call_control_access)],
    responses={**SIGNED_RESPONSES, 403: {}, 404: {}, 422: {}},
)
async def call_control_status(
    runtime: RuntimeDep,
    code: Annotated[str | None, Query(min_length=4, max_length=32)] = None,
    phone: Annotated[
        str | None, Query(min_length=7, max_length=32, pattern=r"^[0-9+()\-. ]+$")
    ] = None,
) -> CallControlStatus:
    """Whether the restaurant seats guests now, and a caller's reservations (code or phone)."""
    async with reservations(runtime) as service:
        rules = service.rules
        now = utcnow().astimezone(rules.zone)
        found: list[Reservation] | None = None
        if code:
            found = [await service.by_code(code)]
        elif phone:
            found = await service.by_phone(phone)
        return CallControlStatus(
            restaurant=RESTAURANT,
            now=now.isoformat(timespec="seconds"),
            open_now=rules.seats_at(now),
            today=rules.hours_of(now.date()),
            rules=rules.as_json(),
            reservations=None
            if found is None
            else [ReservationOut(**service.as_json(r)) for r in found],
        )
