"""Todo tools (5): create, list, complete, update and delete the caller's to-dos.

A caller sees their own to-dos and those of the teams they belong to; they may change their
own, ones assigned to them, and those of teams they own or administer.
"""

from typing import Annotated, Any, Literal

from mcp.server.fastmcp.exceptions import ToolError
from pydantic import Field
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.domains.productivity.models import Priority, Todo
from convonet.storage.models import TeamRole, User, utcnow
from convonet.tools.common import (
    clean,
    compact,
    iso,
    parse_due,
    pick_one,
    team_roles,
    user_zone,
)
from convonet.tools.framework import Caller, tool

PriorityName = Literal["low", "medium", "high", "urgent"]
Title = Annotated[str, Field(min_length=1, max_length=500, description="What needs doing")]
TodoId = Annotated[str | None, Field(max_length=64, description="The to-do's id, if known")]
TodoTitle = Annotated[
    str | None, Field(max_length=500, description="The to-do's title, to find it by name")
]
Due = Annotated[
    str | None, Field(max_length=40, description="Due date (YYYY-MM-DD) or date-time (ISO 8601)")
]
MANAGERS = (TeamRole.OWNER, TeamRole.ADMIN)


def todo_json(todo: Todo) -> dict[str, Any]:
    """The result shape of a to-do (docs/tools.md)."""
    return compact(
        {
            "id": todo.id,
            "title": todo.title,
            "description": todo.description or "",
            "priority": todo.priority.value,
            "due_date": iso(todo.due_at),
            "completed": todo.completed,
            "team_id": todo.team_id,
            "created_at": iso(todo.created_at),
        }
    )


async def add_todo(
    session: AsyncSession,
    user: User,
    *,
    title: str,
    description: str,
    priority: str,
    due_date: str | None,
    team_id: str | None = None,
    assignee_id: str | None = None,
) -> dict[str, Any]:
    """Create a to-do owned by ``user`` (personal, or shared with a team) and return it."""
    todo = Todo(
        user_id=user.id,
        team_id=team_id,
        assignee_id=assignee_id,
        title=clean(title),
        description=clean(description, 2000) or None,
        priority=Priority(priority),
        due_at=parse_due(due_date, user_zone(user)),
    )
    session.add(todo)
    await session.flush()
    return {"todo": todo_json(todo)}


async def _visible(session: AsyncSession, user: User, *, status: str = "all") -> list[Todo]:
    teams = await team_roles(session, user)
    query = select(Todo).where(or_(Todo.user_id == user.id, Todo.team_id.in_(list(teams))))
    if status == "open":
        query = query.where(Todo.completed.is_(False))
    elif status == "completed":
        query = query.where(Todo.completed.is_(True))
    result = await session.scalars(query.order_by(Todo.created_at))
    return list(result.all())


async def _find(session: AsyncSession, user: User, todo_id: str | None, title: str | None) -> Todo:
    todos = await _visible(session, user)
    if todo_id:
        for todo in todos:
            if todo.id == todo_id:
                return todo
        raise ToolError(f"no to-do with id {todo_id!r}")
    # Prefer open to-dos when naming by title: "complete buy milk" means the open one.
    open_todos = [t for t in todos if not t.completed] or todos
    return pick_one(open_todos, title=title, label=lambda t: t.title, kind="to-do")


async def _check_can_change(session: AsyncSession, user: User, todo: Todo) -> None:
    if todo.user_id == user.id or todo.assignee_id == user.id:
        return
    roles = await team_roles(session, user)
    if todo.team_id is None or roles.get(todo.team_id) not in MANAGERS:
        raise ToolError("only the to-do's owner, its assignee or a team admin may change it")


async def _changeable(call: Caller, todo_id: str | None, title: str | None) -> Todo:
    """The caller's to-do named by id or title, once it is checked they may change it."""
    todo = await _find(call.session, call.user, todo_id, title)
    await _check_can_change(call.session, call.user, todo)
    return todo


@tool
async def create_todo(
    call: Caller,
    title: Title,
    description: Annotated[str, Field(max_length=2000)] = "",
    priority: PriorityName = "medium",
    due_date: Due = None,
) -> dict[str, Any]:
    """Add a to-do to the caller's personal list."""
    session, user = call.session, call.user
    return await add_todo(
        session,
        user,
        title=title,
        description=description,
        priority=priority,
        due_date=due_date,
    )


@tool(read_only=True)
async def get_todos(
    call: Caller,
    status: Literal["open", "completed", "all"] = "open",
    priority: PriorityName | None = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """List the caller's to-dos (and their teams'), oldest first."""
    session, user = call.session, call.user
    todos = await _visible(session, user, status=status)
    if priority is not None:
        todos = [t for t in todos if t.priority.value == priority]
    return {"todos": [todo_json(t) for t in todos[:limit]], "count": len(todos)}


@tool
async def complete_todo(
    call: Caller,
    todo_id: TodoId = None,
    title: TodoTitle = None,
) -> dict[str, Any]:
    """Mark a to-do as done, naming it by id or by title."""
    todo = await _changeable(call, todo_id, title)
    todo.completed, todo.completed_at = True, utcnow()
    return {"todo": todo_json(todo)}


@tool
async def update_todo(
    call: Caller,
    todo_id: TodoId = None,
    title: TodoTitle = None,
    new_title: Annotated[str | None, Field(max_length=500)] = None,
    description: Annotated[str | None, Field(max_length=2000)] = None,
    priority: PriorityName | None = None,
    due_date: Due = None,
) -> dict[str, Any]:
    """Change a to-do's title, description, priority or due date."""
    todo = await _changeable(call, todo_id, title)
    if new_title is not None and clean(new_title):
        todo.title = clean(new_title)
    if description is not None:
        todo.description = clean(description, 2000) or None
    if priority is not None:
        todo.priority = Priority(priority)
    if due_date is not None:
        todo.due_at = parse_due(due_date, call.zone)
    return {"todo": todo_json(todo)}


@tool
async def delete_todo(
    call: Caller,
    todo_id: TodoId = None,
    title: TodoTitle = None,
) -> dict[str, Any]:
    """Delete a to-do, naming it by id or by title."""
    todo = await _changeable(call, todo_id, title)
    await call.session.delete(todo)
    return {"deleted": todo_json(todo)}
