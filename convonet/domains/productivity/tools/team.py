"""Team tools (8): create teams, list them and their members, share to-dos, manage members.

Every team tool first checks that the caller belongs to the team; a team the caller is not
on is reported as not found, so its existence is not revealed. Role rules:

* owners and admins add, remove and re-role members; only an owner may grant the owner
  role or change or remove another owner, and a team always keeps at least one owner;
* any member may leave a team (remove themselves) unless they are its last owner; their
  team to-dos are then unassigned;
* owners, admins and members create team to-dos; viewers only read.

``search_users`` is not team-scoped: it finds people to add, returning only their id, name
and email.
"""

from typing import Annotated, Any, Literal

from mcp.server.fastmcp.exceptions import ToolError
from pydantic import Field
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.domains.productivity.models import Todo
from convonet.domains.productivity.tools.todo import Due, PriorityName, Title, add_todo
from convonet.storage.models import Team, TeamMember, TeamRole, User
from convonet.tools.common import clean, compact, iso, pick_one
from convonet.tools.framework import Caller, tool

RoleName = Literal["owner", "admin", "member", "viewer"]
TeamId = Annotated[str | None, Field(max_length=64, description="The team's id, if known")]
TeamName = Annotated[
    str | None, Field(max_length=200, description="The team's name, to find it by name")
]
Email = Annotated[str, Field(min_length=3, max_length=320, description="The person's email")]
MANAGERS = (TeamRole.OWNER, TeamRole.ADMIN)
ROLE_ORDER = {TeamRole.OWNER: 0, TeamRole.ADMIN: 1, TeamRole.MEMBER: 2, TeamRole.VIEWER: 3}


def team_json(team: Team) -> dict[str, Any]:
    """The result shape of a team."""
    return compact(
        {
            "id": team.id,
            "name": team.name,
            "description": team.description or "",
            "created_at": iso(team.created_at),
        }
    )


def member_json(member: TeamMember, user: User) -> dict[str, Any]:
    """The result shape of a membership (never hashes or phone numbers)."""
    return {"user_id": user.id, "name": user.name, "email": user.email, "role": member.role.value}


async def _my_teams(session: AsyncSession, user: User) -> list[tuple[Team, TeamRole]]:
    """The caller's teams (by name) with the caller's role in each."""
    rows = await session.execute(
        select(Team, TeamMember.role)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user.id)
        .order_by(Team.name)
    )
    return [(team, role) for team, role in rows.tuples().all()]


async def _find_team(
    session: AsyncSession, user: User, team_id: str | None, team_name: str | None
) -> tuple[Team, TeamRole]:
    """The team the caller named, among those they belong to, and the caller's role in it."""
    mine = {team.id: (team, role) for team, role in await _my_teams(session, user)}
    if team_id:
        if team_id not in mine:
            raise ToolError(f"you are not on a team with id {team_id!r}")
        return mine[team_id]
    if team_name is None or not team_name.strip():
        raise ToolError("say which team: give its id or its name")
    teams = [team for team, _role in mine.values()]
    team = pick_one(teams, title=team_name, label=lambda t: t.name, kind="team")
    return mine[team.id]


async def _user_by_email(session: AsyncSession, email: str) -> User:
    user = await session.scalar(
        select(User).where(User.email == clean(email, 320).lower(), User.is_active.is_(True))
    )
    if user is None:
        raise ToolError(f"no user has the email {email!r}")
    return user


async def _membership(session: AsyncSession, team: Team, user: User) -> TeamMember:
    member = await session.get(TeamMember, (team.id, user.id))
    if member is None:
        raise ToolError(f"{user.email} is not a member of {team.name!r}")
    return member


def _check_may_manage(
    caller_role: TeamRole, team: Team, old: TeamRole, new: TeamRole | None
) -> None:
    """Only managers change membership; only owners touch the owner role."""
    if caller_role not in MANAGERS:
        raise ToolError(f"only the owners and admins of {team.name!r} can change its members")
    if TeamRole.OWNER in (old, new) and caller_role is not TeamRole.OWNER:
        raise ToolError("only an owner can grant the owner role or change an owner")


async def _check_keeps_owner(
    session: AsyncSession, team: Team, member: TeamMember, new: TeamRole | None
) -> None:
    """Refuse to leave ``team`` without an owner."""
    if member.role is not TeamRole.OWNER or new is TeamRole.OWNER:
        return
    owners = await session.scalar(
        select(func.count())
        .select_from(TeamMember)
        .where(TeamMember.team_id == team.id, TeamMember.role == TeamRole.OWNER)
    )
    if (owners or 0) <= 1:
        raise ToolError(f"that is the last owner of {team.name!r}; make someone else owner first")


async def _members(session: AsyncSession, team: Team) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(TeamMember, User)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id == team.id)
    )
    pairs = sorted(rows.tuples().all(), key=lambda p: (ROLE_ORDER[p[0].role], p[1].name.casefold()))
    return [member_json(member, user) for member, user in pairs]


async def _new_team(session: AsyncSession, user: User, name: str, description: str) -> Team:
    wanted = clean(name, 200)
    if not wanted:
        raise ToolError("give the team a name")
    taken = await session.scalar(select(Team.id).where(func.lower(Team.name) == wanted.lower()))
    if taken is not None:
        raise ToolError(f"a team named {wanted!r} already exists; choose another name")
    team = Team(name=wanted, description=clean(description, 2000) or None)
    session.add(team)
    await session.flush()
    session.add(TeamMember(team_id=team.id, user_id=user.id, role=TeamRole.OWNER))
    await session.flush()
    return team


async def _search(session: AsyncSession, caller: User, query: str, limit: int) -> list[User]:
    """Active users matching ``query`` whom ``caller`` may see.

    The caller sees themself and the people sharing a team with them; anyone else only by
    typing their full email address (enough to add them to a team, not to list everyone).
    """
    fragment = clean(query, 200).lower()
    if len(fragment) < 2:
        raise ToolError("give at least two letters of a name or email to search for")
    my_teams = select(TeamMember.team_id).where(TeamMember.user_id == caller.id)
    teammates = select(TeamMember.user_id).where(TeamMember.team_id.in_(my_teams))
    rows = await session.scalars(
        select(User)
        .where(
            User.is_active.is_(True),
            or_(
                User.email == fragment,
                (User.id == caller.id) | User.id.in_(teammates),
            ),
            or_(
                func.lower(User.name).contains(fragment, autoescape=True),
                User.email.contains(fragment, autoescape=True),
            ),
        )
        .order_by(User.name, User.email)
        .limit(limit)
    )
    return list(rows.all())


@tool
async def create_team(
    call: Caller,
    name: Annotated[str, Field(min_length=1, max_length=200, description="The team's name")],
    description: Annotated[str, Field(max_length=2000)] = "",
) -> dict[str, Any]:
    """Create a team; the caller becomes its owner."""
    session, user = call.session, call.user
    team = await _new_team(session, user, name, description)
    return {"team": team_json(team)}


@tool(read_only=True)
async def get_teams(call: Caller) -> dict[str, Any]:
    """List the teams the caller belongs to, with the caller's role in each."""
    session, user = call.session, call.user
    mine = await _my_teams(session, user)
    teams = [{**team_json(team), "role": role.value} for team, role in mine]
    return {"teams": teams}


@tool(read_only=True)
async def get_team_members(
    call: Caller,
    team_id: TeamId = None,
    team_name: TeamName = None,
) -> dict[str, Any]:
    """List a team's members and their roles (the caller must be on the team)."""
    session, user = call.session, call.user
    team, _role = await _find_team(session, user, team_id, team_name)
    return {"team": team_json(team), "members": await _members(session, team)}


@tool
async def create_team_todo(
    call: Caller,
    title: Title,
    team_id: TeamId = None,
    team_name: TeamName = None,
    description: Annotated[str, Field(max_length=2000)] = "",
    priority: PriorityName = "medium",
    due_date: Due = None,
    assignee_email: Annotated[
        str | None, Field(max_length=320, description="Email of the member to assign it to")
    ] = None,
) -> dict[str, Any]:
    """Add a to-do to a team's list, optionally assigned to one of its members."""
    session, user = call.session, call.user
    team, role = await _find_team(session, user, team_id, team_name)
    if role is TeamRole.VIEWER:
        raise ToolError(f"viewers of {team.name!r} cannot add team to-dos")
    assignee = None
    if assignee_email is not None and assignee_email.strip():
        assignee = await _user_by_email(session, assignee_email)
        await _membership(session, team, assignee)
    return await add_todo(
        session,
        user,
        title=title,
        description=description,
        priority=priority,
        due_date=due_date,
        team_id=team.id,
        assignee_id=assignee.id if assignee else None,
    )


@tool
async def add_team_member(
    call: Caller,
    email: Email,
    team_id: TeamId = None,
    team_name: TeamName = None,
    role: RoleName = "member",
) -> dict[str, Any]:
    """Add a user (by email) to a team with a role; owners and admins only."""
    session, user = call.session, call.user
    team, caller_role = await _find_team(session, user, team_id, team_name)
    _check_may_manage(caller_role, team, TeamRole.MEMBER, TeamRole(role))
    target = await _user_by_email(session, email)
    existing = await session.get(TeamMember, (team.id, target.id))
    if existing is not None:
        raise ToolError(f"{target.email} is already on {team.name!r} as {existing.role.value}")
    member = TeamMember(team_id=team.id, user_id=target.id, role=TeamRole(role))
    session.add(member)
    await session.flush()
    return {"team": team_json(team), "member": member_json(member, target)}


@tool
async def remove_team_member(
    call: Caller,
    email: Email,
    team_id: TeamId = None,
    team_name: TeamName = None,
) -> dict[str, Any]:
    """Remove a member (by email) from a team; owners/admins, or a member leaving."""
    session, user = call.session, call.user
    team, caller_role = await _find_team(session, user, team_id, team_name)
    target = await _user_by_email(session, email)
    member = await _membership(session, team, target)
    if target.id != user.id:
        _check_may_manage(caller_role, team, member.role, None)
    await _check_keeps_owner(session, team, member, None)
    removed = member_json(member, target)
    await session.delete(member)
    await session.execute(
        update(Todo)
        .where(Todo.team_id == team.id, Todo.assignee_id == target.id)
        .values(assignee_id=None)
    )
    return {"team": team_json(team), "removed": removed}


@tool
async def change_member_role(
    call: Caller,
    email: Email,
    role: RoleName,
    team_id: TeamId = None,
    team_name: TeamName = None,
) -> dict[str, Any]:
    """Change a member's role (owner, admin, member, viewer); owners and admins only."""
    session, user = call.session, call.user
    team, caller_role = await _find_team(session, user, team_id, team_name)
    target = await _user_by_email(session, email)
    member = await _membership(session, team, target)
    new = TeamRole(role)
    _check_may_manage(caller_role, team, member.role, new)
    await _check_keeps_owner(session, team, member, new)
    member.role = new
    return {"team": team_json(team), "member": member_json(member, target)}


@tool(read_only=True)
async def search_users(
    call: Caller,
    query: Annotated[
        str, Field(min_length=1, max_length=200, description="Part of a name or email")
    ],
    limit: Annotated[int, Field(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Find teammates by a fragment of their name or email, anyone else by full email."""
    users = await _search(call.session, call.user, query, limit)
    return {"users": [{"user_id": u.id, "name": u.name, "email": u.email} for u in users]}
