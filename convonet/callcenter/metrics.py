"""Per-agent figures over a window.

Calls offered, answered and handled, average handle time, answer rate and availability.

Availability is the share of logged-in time not spent not-ready (ready, ringing, on a call
or wrapping up), from the ``agent_state_changes`` log; the state at the window's start is
the last change before it.
"""

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.callcenter.api_models import AgentMetrics
from convonet.callcenter.history import handle_secs
from convonet.callcenter.scope import Scope, visible_agents
from convonet.storage.models import AgentCall, AgentState, AgentStateChange, CallCenterAgent, User

UNAVAILABLE = frozenset({AgentState.LOGGED_OUT, AgentState.NOT_READY})


def time_in_states(
    start: AgentState, changes: list[tuple[datetime, AgentState]], since: datetime, until: datetime
) -> tuple[float, float]:
    """``(logged-in seconds, available seconds)`` between ``since`` and ``until``.

    Args:
        start: The state at ``since``.
        changes: ``(when, new state)`` after ``since``, oldest first.
        since: Window start.
        until: Window end.
    """
    logged_in = available = 0.0
    state, at = start, since
    for when, new_state in [*changes, (until, start)]:
        span = max(0.0, (min(when, until) - at).total_seconds())
        if state is not AgentState.LOGGED_OUT:
            logged_in += span
        if state not in UNAVAILABLE:
            available += span
        state, at = new_state, max(at, min(when, until))
    return logged_in, available


async def _state_at(session: AsyncSession, agent_id: str, at: datetime) -> AgentState:
    last = await session.scalar(
        select(AgentStateChange.to_state)
        .where(AgentStateChange.agent_id == agent_id, AgentStateChange.at <= at)
        .order_by(AgentStateChange.at.desc(), AgentStateChange.seq.desc())
        .limit(1)
    )
    return last or AgentState.LOGGED_OUT


async def agent_metrics(
    session: AsyncSession, scope: Scope, since: datetime, until: datetime
) -> list[AgentMetrics]:
    """The figures of every agent the viewer may see, by extension."""
    agents = (
        await session.execute(
            select(CallCenterAgent.id, CallCenterAgent.extension, User.name)
            .join(User, User.id == CallCenterAgent.user_id)
            .where(visible_agents(scope))
            .order_by(CallCenterAgent.extension)
        )
    ).all()
    ids = [agent_id for agent_id, _, _ in agents]
    legs: dict[str, list[AgentCall]] = defaultdict(list)
    for leg in await session.scalars(
        select(AgentCall).where(
            AgentCall.agent_id.in_(ids),
            AgentCall.offered_at >= since,
            AgentCall.offered_at <= until,
        )
    ):
        legs[leg.agent_id].append(leg)
    changes: dict[str, list[tuple[datetime, AgentState]]] = defaultdict(list)
    for change in await session.scalars(
        select(AgentStateChange)
        .where(
            AgentStateChange.agent_id.in_(ids),
            AgentStateChange.at > since,
            AgentStateChange.at <= until,
        )
        .order_by(AgentStateChange.at, AgentStateChange.seq)
    ):
        changes[change.agent_id].append((change.at, change.to_state))
    report = []
    for agent_id, extension, name in agents:
        start = await _state_at(session, agent_id, since)
        logged_in, available = time_in_states(start, changes[agent_id], since, until)
        report.append(_figures(agent_id, extension, name, legs[agent_id], logged_in, available))
    return report


def _figures(
    agent_id: str,
    extension: str,
    name: str,
    legs: list[AgentCall],
    logged_in: float,
    available: float,
) -> AgentMetrics:
    answered = [leg for leg in legs if leg.answered_at is not None]
    handled = [secs for leg in answered if (secs := handle_secs(leg)) is not None]
    return AgentMetrics(
        agent_id=agent_id,
        name=name,
        extension=extension,
        offered=len(legs),
        answered=len(answered),
        calls_handled=len(handled),
        average_handle_secs=round(sum(handled) / len(handled), 3) if handled else None,
        answer_rate=round(len(answered) / len(legs), 4) if legs else None,
        availability_pct=round(100 * available / logged_in, 2) if logged_in else None,
        logged_in_secs=round(logged_in, 3),
    )
