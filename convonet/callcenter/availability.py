"""Which departments have someone ready: what a transfer tells the caller before dialling.

An agent counts as ready when their live state is ``ready``, or ``wrap_up`` whose time is
over (the sweeper is about to make them ready). Agents without a department count nowhere.
"""

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.storage.models import AgentState, CallCenterAgent, Department
from convonet.storage.redis.agents import AgentLive, AgentStore


def is_ready(live: AgentLive, now: float) -> bool:
    """Whether the agent can take a call now."""
    if live.state is AgentState.READY:
        return True
    due = live.wrap_up_until
    return live.state is AgentState.WRAP_UP and due is not None and due <= now


async def ready_agents(
    session: AsyncSession, store: AgentStore, now: float | None = None
) -> dict[str, int]:
    """How many agents are ready, per active department name (zero included)."""
    rows = (
        await session.execute(
            select(Department.name, CallCenterAgent.id)
            .outerjoin(CallCenterAgent, CallCenterAgent.department_id == Department.id)
            .where(Department.is_active.is_(True))
        )
    ).all()
    lives = await store.get_agents_live([agent_id for _, agent_id in rows if agent_id])
    at = time.time() if now is None else now
    counts = {name: 0 for name, _ in rows}
    for name, agent_id in rows:
        if agent_id is not None and is_ready(lives[agent_id], at):
            counts[name] += 1
    return counts
