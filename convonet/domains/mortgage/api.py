"""The mortgage REST API and ``/mortgage_dashboard`` (agents, supervisors and admins).

* ``GET /api/mortgage/applications``: the filtered list (status, creation dates, loan amount);
* ``GET /api/mortgage/applications/{id}``: one application with its figures, payment and
  affordability estimates and document checklist (404 when unknown);
* both also at ``/convonet_todo/api/mortgage/...``, the seed documents' paths;
* ``GET /api/mortgage/live``: every application change as Server-Sent Events (the tools
  publish on ``mortgage:events`` through :mod:`.service`), read like the Agent Monitor's stream
  (``fetch`` with the bearer header, never a token in the URL).

Routers stay thin: the queries and shapes are in :mod:`.service`.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from fastapi.responses import HTMLResponse, StreamingResponse

from convonet.api.deps import RuntimeDep
from convonet.auth.deps import AgentUser
from convonet.domains.mortgage.api_models import ApplicationDetail, ApplicationsPage
from convonet.domains.mortgage.calculator import MAX_AMOUNT
from convonet.domains.mortgage.models import ApplicationStatus
from convonet.domains.mortgage.service import (
    ApplicationFilter,
    get_application,
    list_applications,
)
from convonet.errors import InvalidInputError
from convonet.monitor.live import channel_stream
from convonet.monitor.pages import render_page
from convonet.storage.redis import Keys

PREFIXES = ("/api/mortgage", "/convonet_todo/api/mortgage")
AUTH_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Missing, bad or expired token"},
    403: {"description": "Not an agent, supervisor or admin"},
}
Amount = Annotated[Decimal | None, Query(ge=0, le=MAX_AMOUNT, description="US dollars")]
Day = Annotated[date | None, Query(description="YYYY-MM-DD (UTC), inclusive")]
ApplicationId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]

_api = APIRouter(tags=["mortgage"])
router = APIRouter()


@_api.get(
    "/applications",
    responses={**AUTH_ERRORS, 422: {"description": "A filter is malformed or contradictory"}},
)
async def applications(
    runtime: RuntimeDep,
    _user: AgentUser,
    status_: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
    created_from: Day = None,
    created_to: Day = None,
    min_amount: Amount = None,
    max_amount: Amount = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ApplicationsPage:
    """Mortgage applications, newest first, filtered by status, creation day and loan amount."""
    wanted = ApplicationFilter(
        status_, created_from, created_to, min_amount, max_amount, limit, offset
    )
    try:
        async with runtime.db.session() as session:
            items, total = await list_applications(session, wanted)
    except InvalidInputError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    return ApplicationsPage.model_validate(
        {"items": items, "total": total, "limit": limit, "offset": offset}
    )


@_api.get(
    "/applications/{application_id}",
    responses={**AUTH_ERRORS, 404: {"description": "No application has that id"}},
)
async def application(
    application_id: ApplicationId, runtime: RuntimeDep, _user: AgentUser
) -> ApplicationDetail:
    """One application: the borrower's figures, estimates and the document checklist."""
    async with runtime.db.session() as session:
        found = await get_application(
            session, application_id, runtime.settings.mortgage_default_rate
        )
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no mortgage application {application_id}")
    return ApplicationDetail.model_validate(found)


for prefix in PREFIXES:
    router.include_router(_api, prefix=prefix)


@router.get(
    "/api/mortgage/live",
    tags=["mortgage"],
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"},
        **AUTH_ERRORS,
    },
    response_class=StreamingResponse,
)
async def live(runtime: RuntimeDep, _user: AgentUser) -> StreamingResponse:
    """Every application change, by voice or otherwise, as Server-Sent Events.

    Events: ``ready`` once subscribed, then ``application`` per change (``{"change":
    "created"|"updated", "application": <list row>, "at": ...}``); a comment line every few
    seconds keeps proxies from closing an idle stream.
    """
    stream = channel_stream(
        runtime.store,
        Keys.mortgage_channel(),
        "application",
        {"instance": runtime.monitor.instance},
    )
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/mortgage_dashboard", response_class=HTMLResponse, tags=["pages"])
async def mortgage_dashboard() -> HTMLResponse:
    """The mortgage applications dashboard (it signs in by itself)."""
    return HTMLResponse(render_page("mortgage_dashboard"))
