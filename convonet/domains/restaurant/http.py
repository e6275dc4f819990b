"""What the restaurant's HTTP routes share: the service per request, its errors as answers.

The service's refusals map to status codes in one place: bad values 422, unknown records
404, a finished reservation 409, no free table 409 with ``{reason, nearest_free_slot,
alternatives}`` so a client can offer the nearest free time at once.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, time
from typing import Any

from fastapi import HTTPException, status

from convonet.domains.restaurant.api_models import AvailabilityOut
from convonet.domains.restaurant.rules import DiningRules
from convonet.domains.restaurant.service import ReservationService
from convonet.errors import (
    BookingConflictError,
    ConflictError,
    InvalidInputError,
    RecordNotFoundError,
)
from convonet.runtime import Runtime

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "No table free then (detail: reason, nearest_free_slot, alternatives), "
        "or the reservation is cancelled/finished"
    }
}


def as_http(error: Exception, rules: DiningRules) -> HTTPException:
    """The HTTP answer of one of the service's refusals."""
    if isinstance(error, BookingConflictError):
        zone = rules.zone
        detail = {
            "reason": str(error),
            "nearest_free_slot": error.nearest.astimezone(zone).isoformat()
            if error.nearest
            else None,
            "alternatives": [f"{s.astimezone(zone):%H:%M}" for s in error.alternatives],
        }
        return HTTPException(status.HTTP_409_CONFLICT, detail)
    if isinstance(error, ConflictError):
        return HTTPException(status.HTTP_409_CONFLICT, str(error))
    if isinstance(error, RecordNotFoundError):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(error))
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))


async def availability_answer(
    service: ReservationService, day: date, at: time | None, party: int
) -> AvailabilityOut:
    """Availability at ``at`` (with nearby times), or every free slot of ``day`` without it."""
    base: dict[str, Any] = {"date": day.isoformat(), "party_size": party}
    base["timezone"] = service.rules.zone.key
    if at is None:
        return AvailabilityOut(**base, slots=await service.free_slots(day, party))
    start = service.rules.local(day, at)
    found = await service.availability(start, party)
    return AvailabilityOut.model_validate(base | found | {"time": f"{start:%H:%M}"})


@asynccontextmanager
async def reservations(runtime: Runtime) -> AsyncIterator[ReservationService]:
    """The service on a fresh unit of work (committed at the end; refusals become HTTP)."""
    rules = DiningRules.from_settings(runtime.settings)
    try:
        async with runtime.db.session() as session:
            yield ReservationService(session, rules)
    except (InvalidInputError, RecordNotFoundError, ConflictError) as error:
        raise as_http(error, rules) from error
