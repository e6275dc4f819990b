"""The call history of a team's agents: one row per call offered to an agent, newest first."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from convonet.callcenter.api_models import HistoryItem, HistoryPage
from convonet.callcenter.scope import Scope, visible_agents
from convonet.storage.models import AgentCall, Call, CallCenterAgent, Department, User


def _secs(later: object, earlier: object) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds(), 3)  # type: ignore[operator]


async def history_page(session: AsyncSession, scope: Scope, limit: int, offset: int) -> HistoryPage:
    """Calls offered to the viewer's teams' agents, with their outcome and summary."""
    agent_user, customer = aliased(User), aliased(User)
    rows = await session.execute(
        select(AgentCall, Call, CallCenterAgent.extension, agent_user.name, customer.name)
        .add_columns(Department.name)
        .join(Call, Call.id == AgentCall.call_id)
        .join(CallCenterAgent, CallCenterAgent.id == AgentCall.agent_id)
        .join(agent_user, agent_user.id == CallCenterAgent.user_id)
        .outerjoin(customer, customer.id == Call.user_id)
        .outerjoin(Department, Department.id == Call.transfer_department_id)
        .where(visible_agents(scope))
        .order_by(AgentCall.offered_at.desc(), AgentCall.id)
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(
        select(func.count(AgentCall.id))
        .join(CallCenterAgent, CallCenterAgent.id == AgentCall.agent_id)
        .where(visible_agents(scope))
    )
    items = [
        HistoryItem(
            leg_id=leg.id,
            call_id=call.id,
            agent_id=leg.agent_id,
            agent_name=agent_name,
            extension=extension,
            channel=call.channel,
            call_sid=call.call_sid,
            session_id=call.session_id,
            caller_number=call.caller_number,
            customer_id=call.user_id,
            customer_name=customer_name,
            department=department,
            offered_at=leg.offered_at,
            answered_at=leg.answered_at,
            ended_at=leg.ended_at,
            wrap_up_ended_at=leg.wrap_up_ended_at,
            outcome=leg.outcome,
            talk_secs=_secs(leg.ended_at, leg.answered_at),
            hold_secs=round(leg.hold_secs, 3),
            handle_secs=handle_secs(leg),
            transfers=[{k: str(v) for k, v in t.items()} for t in leg.transfers or []],
            transfer_outcome=call.transfer_outcome,
            summary=call.summary,
        )
        for leg, call, extension, agent_name, customer_name, department in rows.all()
    ]
    return HistoryPage(items=items, total=total or 0, limit=limit, offset=offset)


def handle_secs(leg: AgentCall) -> float | None:
    """Answer to the end of wrap-up (to the hang-up while wrap-up goes on); unanswered: none."""
    if leg.answered_at is None or leg.ended_at is None:
        return None
    return _secs(leg.wrap_up_ended_at or leg.ended_at, leg.answered_at)
