"""``/agent-monitor`` and ``/tool-execution``: the dashboards' pages, JSON API and live push.

Every API endpoint needs a supervisor or admin access token (``Authorization: Bearer``).
The live channel is Server-Sent Events over a plain ``GET`` that carries that same header:
the pages read it with ``fetch`` and a stream reader rather than ``EventSource`` (which
cannot send headers), so the token never appears in a URL or an access log. Each open
stream holds its own Redis subscription to ``timings:live``, on which every server instance
publishes the records it writes, so a dashboard sees the turns of all instances.
``/agent-monitor/api/stages`` serves the stage table, so the pages name stages as the server
does. The pages themselves are assembled by :mod:`convonet.monitor.pages`.
"""

import time
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import HTMLResponse, StreamingResponse

from convonet.api.deps import RuntimeDep
from convonet.auth.deps import SupervisorUser
from convonet.errors import InvalidInputError, UnknownBotError
from convonet.monitor import stats as agg
from convonet.monitor.api_models import (
    InteractionsPage,
    StageRow,
    Stats,
    ToolCallRow,
    ToolCallsPage,
    tool_rows,
)
from convonet.monitor.live import event_stream
from convonet.monitor.pages import render_page
from convonet.runtime import Runtime
from convonet.security.headers import content_security_policy
from convonet.settings import LlmName
from convonet.storage.redis import SESSION_ID_PATTERN, STREAM_ID_PATTERN
from convonet.turns.record import Turn, TurnKind
from convonet.turns.stages import stage_table

SCAN_PAGE = 250
SCAN_MAX = 5000
MAX_WINDOW_S = 7 * 86400

router = APIRouter(tags=["agent-monitor"])
IdParam = Annotated[str | None, Query(max_length=64, pattern=f"^{SESSION_ID_PATTERN.pattern}$")]
NameParam = Annotated[str | None, Query(min_length=1, max_length=64)]
SinceParam = Annotated[
    float | None, Query(ge=0, description="Only turns recorded at or after (epoch seconds)")
]


async def _scan(
    runtime: Runtime,
    keep: Callable[[Turn], bool],
    *,
    since: float | None,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[Turn], str | None, int]:
    """Newest-first records of the global stream that ``keep`` accepts.

    Returns:
        ``(records, next cursor or None, entries scanned)``; scanning stops at ``limit``
        matches, at the first record older than ``since``, or after ``SCAN_MAX`` entries.
    """
    found: list[Turn] = []
    scanned = 0
    for _ in range(SCAN_MAX // SCAN_PAGE):
        page = await runtime.store.recent_turns(SCAN_PAGE, before=cursor)
        for entry_id, turn in page.items:
            scanned += 1
            if since is not None and turn.recorded_at < since:
                return found, None, scanned
            if keep(turn):
                found.append(turn)
                if len(found) == limit:
                    return found, entry_id, scanned
        cursor = page.last_id
        if page.exhausted:
            return found, None, scanned
    return found, cursor, scanned


def _check_bot(runtime: Runtime, bot: str | None) -> None:
    if bot is None:
        return
    try:
        runtime.bots.get(bot)
    except UnknownBotError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error


@router.get("/agent-monitor/api/stages", responses={401: {}, 403: {}})
async def stages(_user: SupervisorUser) -> list[StageRow]:
    """The stage table: each stage's name, label, moments and meaning, in turn order."""
    return [StageRow.model_validate(row) for row in stage_table()]


@router.get("/agent-monitor/api/stats", responses={400: {}, 401: {}, 403: {}})
async def stats(
    runtime: RuntimeDep,
    _user: SupervisorUser,
    window_s: Annotated[int, Query(ge=10, le=MAX_WINDOW_S)] = 3600,
    bot: NameParam = None,
    llm: LlmName | None = None,
) -> Stats:
    """Counts, stage percentiles, tool outcomes and a time series over the last ``window_s``."""
    _check_bot(runtime, bot)
    until = time.time()
    since = until - window_s

    def keep(turn: Turn) -> bool:
        return (bot is None or turn.bot == bot) and (
            llm is None or (turn.llm_used or turn.llm) == llm
        )

    turns, more, scanned = await _scan(runtime, keep, since=since, limit=SCAN_MAX)
    return Stats.model_validate(
        {
            "window_s": window_s,
            "since": since,
            "until": until,
            **agg.overview(turns),
            "stages": agg.stage_summaries(turns),
            "tools": agg.tool_summaries(turns),
            "series": agg.series(turns, since, until),
            "scanned": scanned,
            "truncated": more is not None,
        }
    )


def _session_page(
    turns: list[Turn], keep: Callable[[Turn], bool], limit: int, cursor: str | None
) -> InteractionsPage:
    if cursor is not None and not cursor.isdigit():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "with session_id the cursor is a number")
    offset = int(cursor or 0)
    matching = [turn for turn in reversed(turns) if keep(turn)]
    page = matching[offset : offset + limit]
    more = offset + limit < len(matching)
    return InteractionsPage(items=page, next_cursor=str(offset + limit) if more else None)


@router.get("/agent-monitor/api/interactions", responses={400: {}, 401: {}, 403: {}})
async def interactions(
    runtime: RuntimeDep,
    _user: SupervisorUser,
    session_id: IdParam = None,
    user_id: NameParam = None,
    bot: NameParam = None,
    kind: TurnKind | None = None,
    since: SinceParam = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64, description="next_cursor")] = None,
) -> InteractionsPage:
    """Turns, newest first, each with its stage timings and tool calls."""
    _check_bot(runtime, bot)

    def keep(turn: Turn) -> bool:
        return (
            (user_id is None or turn.user_id == user_id)
            and (bot is None or turn.bot == bot)
            and (kind is None or turn.kind == kind)
            and (since is None or turn.recorded_at >= since)
        )

    if session_id is not None:
        return _session_page(await runtime.store.session_turns(session_id), keep, limit, cursor)
    if cursor is not None and STREAM_ID_PATTERN.fullmatch(cursor) is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "bad cursor: pass a next_cursor back")
    try:
        turns, more, _ = await _scan(runtime, keep, since=since, limit=limit, cursor=cursor)
    except InvalidInputError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    return InteractionsPage(items=turns, next_cursor=more)


@router.get(
    "/agent-monitor/api/live",
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"},
        401: {},
        403: {},
    },
    response_class=StreamingResponse,
)
async def live(runtime: RuntimeDep, _user: SupervisorUser) -> StreamingResponse:
    """Every turn record as any instance writes it, as Server-Sent Events.

    Events: ``ready`` once subscribed, then ``turn`` (a record as JSON) per turn; a comment
    line every few seconds keeps proxies from closing an idle stream.
    """
    return StreamingResponse(
        event_stream(runtime.store, runtime.monitor.instance),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/tool-execution/api/calls", responses={400: {}, 401: {}, 403: {}})
async def tool_calls(
    runtime: RuntimeDep,
    _user: SupervisorUser,
    tool: NameParam = None,
    outcome: Literal["ok", "error", "timeout"] | None = None,
    session_id: IdParam = None,
    since: SinceParam = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ToolCallsPage:
    """Recent tool calls, newest first, with arguments, results, timings and outcomes."""

    def keep(turn: Turn) -> bool:
        return (session_id is None or turn.session_id == session_id) and any(
            (tool is None or call.name == tool) and (outcome is None or call.outcome == outcome)
            for call in turn.tool_calls
        )

    turns, _, scanned = await _scan(runtime, keep, since=since, limit=limit)
    rows: list[ToolCallRow] = []
    for turn in turns:
        rows += tool_rows(turn, tool=tool, outcome=outcome)
    return ToolCallsPage(items=rows[:limit], scanned=scanned)


@router.get("/agent-monitor", response_class=HTMLResponse, tags=["pages"])
async def agent_monitor_page() -> HTMLResponse:
    """The Agent Monitor dashboard (it signs in by itself)."""
    return HTMLResponse(render_page("agent_monitor"))


@router.get("/tool-execution", response_class=HTMLResponse, tags=["pages"])
async def tool_execution_page() -> HTMLResponse:
    """The tool-call log page (it signs in by itself)."""
    return HTMLResponse(render_page("tool_execution"))


@router.get("/call-center", response_class=HTMLResponse, tags=["pages"])
async def call_center_page(runtime: RuntimeDep) -> HTMLResponse:
    """The call-center agent dashboard and softphone (it signs in by itself).

    Its softphone connects to the SIP server's WebSocket, which the page's CSP allows.
    """
    policy = content_security_policy(runtime.settings, runtime.settings.sip_ws_url)
    return HTMLResponse(render_page("call_center"), headers={"content-security-policy": policy})
