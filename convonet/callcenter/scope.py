"""Team scoping: which agents, customers and calls a signed-in user of the dashboard may see.

Admins see everything. Anyone else sees the agents who share a team with them (and their
own agent record); a customer is visible when they share a team with the viewer or when one
of their calls rang a visible agent.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.auth.tokens import TokenClaims
from convonet.storage.models import AgentCall, Call, CallCenterAgent, Department, TeamMember


@dataclass(frozen=True, slots=True)
class Scope:
    """Who is asking: their user id, roles and teams."""

    user_id: str
    roles: frozenset[str]
    team_ids: frozenset[str]

    @property
    def is_admin(self) -> bool:
        """Admins see every team."""
        return "admin" in self.roles

    def team_users(self) -> Select[str]:
        """The ids of every user sharing a team with the viewer."""
        return select(TeamMember.user_id).where(TeamMember.team_id.in_(self.team_ids))


async def load_scope(session: AsyncSession, claims: TokenClaims) -> Scope:
    """The viewer's scope: the teams they belong to now (not the token's single team)."""
    teams = await session.scalars(
        select(TeamMember.team_id).where(TeamMember.user_id == claims.user_id)
    )
    return Scope(claims.user_id, frozenset(claims.roles), frozenset(teams.all()))


def visible_agents(scope: Scope) -> ColumnElement[bool]:
    """A filter on ``CallCenterAgent`` keeping the agents the viewer may see."""
    if scope.is_admin:
        return CallCenterAgent.id.is_not(None)
    return or_(
        CallCenterAgent.user_id == scope.user_id,
        CallCenterAgent.user_id.in_(scope.team_users()),
    )


def visible_customer(scope: Scope, user_id: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    """A filter keeping customers the viewer shares a team with, or whose calls rang one."""
    if scope.is_admin:
        return user_id.is_not(None)
    rang_here = exists(
        select(AgentCall.id)
        .join(Call, Call.id == AgentCall.call_id)
        .join(CallCenterAgent, CallCenterAgent.id == AgentCall.agent_id)
        .where(Call.user_id == user_id, visible_agents(scope))
    )
    return or_(user_id == scope.user_id, user_id.in_(scope.team_users()), rang_here)


def visible_call(scope: Scope) -> ColumnElement[bool]:
    """A filter on ``Call``: calls of visible customers, or that rang or went to our desks."""
    if scope.is_admin:
        return Call.id.is_not(None)
    rang_here = exists(
        select(AgentCall.id)
        .join(CallCenterAgent, CallCenterAgent.id == AgentCall.agent_id)
        .where(AgentCall.call_id == Call.id, visible_agents(scope))
    )
    to_our_desk = Call.transfer_department_id.in_(
        select(CallCenterAgent.department_id).where(visible_agents(scope))
    )
    return or_(rang_here, to_our_desk, visible_customer(scope, Call.user_id))


async def allowed_extensions(session: AsyncSession, scope: Scope) -> set[str]:
    """Extensions whose transfer contexts the viewer may read.

    Those are the visible agents' own extensions and their departments' (for admins: every
    agent's and every department's).
    """
    rows = await session.execute(
        select(CallCenterAgent.extension, Department.extension)
        .outerjoin(Department, Department.id == CallCenterAgent.department_id)
        .where(visible_agents(scope))
    )
    found = {ext for row in rows.all() for ext in row if ext}
    if scope.is_admin:
        found |= set((await session.scalars(select(Department.extension))).all())
    return found


def may_read(scope: Scope, extension: str, allowed: set[str]) -> bool:
    """Whether the viewer may read transfer contexts addressed to ``extension``."""
    return scope.is_admin or extension in allowed
