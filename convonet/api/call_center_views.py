"""``/call-center/api``: the supervisor's view of every agent, history, metrics, live feed.

The live feed ``GET /events`` is Server-Sent Events. A browser's ``EventSource`` cannot send
an ``Authorization`` header, and an access token in a URL would sit in browser history and
proxy logs for its whole lifetime; so the page first asks ``POST /events/ticket`` (with the
header) for a ticket that is single-use and lives 60 s, and opens
``/events?ticket=...``. Clients that can send headers (``fetch`` with a stream reader, like
the Agent Monitor) may use the bearer header instead.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from convonet.api.call_center import AGENT_ERRORS, PREFIX, answers, scope_of
from convonet.api.deps import RuntimeDep
from convonet.auth.deps import AgentUser, SupervisorUser, current_claims
from convonet.auth.tokens import TokenClaims
from convonet.callcenter.agents import load_agents
from convonet.callcenter.api_models import (
    AgentStatus,
    FeedTicket,
    HistoryPage,
    MetricsReport,
)
from convonet.callcenter.feed import agent_events
from convonet.callcenter.history import history_page
from convonet.callcenter.metrics import agent_metrics
from convonet.callcenter.scope import visible_agents
from convonet.storage.redis.agents import TICKET_TTL_SECS

router = APIRouter(prefix=PREFIX, tags=["call-center"])
VIEW_ERRORS = {k: v for k, v in AGENT_ERRORS.items() if k != 409}
MAX_WINDOW_S = 31 * 86400
FEED_ROLES = frozenset({"agent", "supervisor", "admin"})
_bearer = HTTPBearer(auto_error=False)


async def feed_claims(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ticket: Annotated[
        str | None, Query(min_length=20, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    ] = None,
) -> TokenClaims:
    """The claims of a feed ticket (single use), else of the bearer token.

    Raises:
        HTTPException: 401 (no, used or expired ticket and no token), 403 (no agent role).
    """
    if ticket is not None:
        raw = await runtime.store.take_feed_ticket(ticket)
        try:
            claims = TokenClaims.model_validate_json(raw or "")
        except ValidationError:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "unknown, used or expired feed ticket"
            ) from None
        if not await runtime.active_users.is_active(claims.user_id):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the account is disabled or gone")
    else:
        claims = await current_claims(runtime, credentials)
    if not FEED_ROLES & set(claims.roles):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the live feed needs the agent role")
    return claims


@router.get("/agents", responses=VIEW_ERRORS)
async def agents(runtime: RuntimeDep, claims: SupervisorUser) -> list[AgentStatus]:
    """Every agent of the supervisor's teams with their live state (supervisors, admins)."""
    scope = await scope_of(runtime, claims)
    async with answers():
        found = await load_agents(runtime.db, visible_agents(scope))
        return await runtime.call_center.statuses(found)


@router.get("/history", responses=VIEW_ERRORS)
async def history(
    runtime: RuntimeDep,
    claims: AgentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HistoryPage:
    """Calls offered to the viewer's teams' agents, newest first.

    Each with its outcome, talk, hold and handle times, the transfer outcome and summary.
    """
    scope = await scope_of(runtime, claims)
    async with answers(), runtime.db.session() as session:
        return await history_page(session, scope, limit, offset)


@router.get("/metrics", responses=VIEW_ERRORS)
async def metrics(
    runtime: RuntimeDep,
    claims: AgentUser,
    window_s: Annotated[int, Query(ge=60, le=MAX_WINDOW_S)] = 86400,
) -> MetricsReport:
    """Per agent of the viewer's teams, over the last ``window_s`` seconds.

    Calls offered, answered and handled, average handle time, answer rate, availability %.
    """
    scope = await scope_of(runtime, claims)
    now = runtime.call_center.clock()
    since, until = datetime.fromtimestamp(now - window_s, UTC), datetime.fromtimestamp(now, UTC)
    async with answers(), runtime.db.session() as session:
        figures = await agent_metrics(session, scope, since, until)
    return MetricsReport(since=since, until=until, agents=figures)


@router.post("/events/ticket", responses=VIEW_ERRORS)
async def events_ticket(runtime: RuntimeDep, claims: AgentUser) -> FeedTicket:
    """A single-use ticket (60 s) for ``GET /events?ticket=`` (EventSource sends no headers)."""
    ticket = await runtime.store.issue_feed_ticket(claims.model_dump_json())
    return FeedTicket(ticket=ticket, expires_in=int(TICKET_TTL_SECS))


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={**VIEW_ERRORS, 200: {"content": {"text/event-stream": {}}}},
)
async def events(
    runtime: RuntimeDep, claims: Annotated[TokenClaims, Depends(feed_claims)]
) -> StreamingResponse:
    """Server-Sent Events of agent state changes, from every server process.

    ``ready`` first (every visible agent's status), then ``agent`` on each change: the
    agent's status plus ``previous_state`` and ``action``.
    """
    scope = await scope_of(runtime, claims)

    async def snapshot() -> list[AgentStatus]:
        found = await load_agents(runtime.db, visible_agents(scope))
        return await runtime.call_center.statuses(found)

    return StreamingResponse(
        agent_events(runtime.store, scope, snapshot),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
