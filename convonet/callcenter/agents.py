"""Agent records as the call center needs them: identity, extensions, department, teams."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import selectinload

from convonet.storage.db import Database
from convonet.storage.models import CallCenterAgent, TeamMember


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """An agent: who, which extensions, which teams (what events are filtered by)."""

    id: str
    user_id: str
    name: str
    extension: str
    department: str | None
    department_extension: str | None
    team_ids: frozenset[str]
    recorded_since: datetime

    @property
    def extensions(self) -> tuple[str, ...]:
        """Where transfer contexts for this agent are addressed: its own, its department's."""
        own = (self.extension,)
        dept = self.department_extension
        return own if not dept or dept == self.extension else (*own, dept)


async def load_agents(db: Database, where: ColumnElement[bool]) -> list[AgentInfo]:
    """The agents matching ``where`` (a filter on ``CallCenterAgent``), by extension."""
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(CallCenterAgent)
                .options(
                    selectinload(CallCenterAgent.user), selectinload(CallCenterAgent.department)
                )
                .where(where)
                .order_by(CallCenterAgent.extension)
            )
        ).all()
        teams: dict[str, set[str]] = {}
        members = await session.execute(
            select(TeamMember.user_id, TeamMember.team_id).where(
                TeamMember.user_id.in_([row.user_id for row in rows])
            )
        )
        for user_id, team_id in members.all():
            teams.setdefault(user_id, set()).add(team_id)
        return [
            AgentInfo(
                id=row.id,
                user_id=row.user_id,
                name=row.user.name,
                extension=row.extension,
                department=row.department.name if row.department else None,
                department_extension=row.department.extension if row.department else None,
                team_ids=frozenset(teams.get(row.user_id, ())),
                recorded_since=row.state_since,
            )
            for row in rows
        ]


async def load_agent(
    db: Database, *, user_id: str | None = None, agent_id: str | None = None
) -> AgentInfo | None:
    """The agent record of a user (or by id); ``None`` if there is none."""
    if user_id is not None:
        found = await load_agents(db, CallCenterAgent.user_id == user_id)
    else:
        found = await load_agents(db, CallCenterAgent.id == agent_id)
    return found[0] if found else None
