"""Call-transfer tools (2): hand the caller to a human department, list departments.

``transfer_to_agent`` records the request in Redis (``transfer:{session}``) and returns the
department's SIP extension; the voice pipeline performs the transfer itself.
"""

from typing import Annotated, Any

from mcp.server.fastmcp.exceptions import ToolError
from pydantic import Field
from sqlalchemy import select

from convonet.storage.models import Department
from convonet.tools.common import clean
from convonet.tools.framework import Caller, tool


def department_json(department: Department) -> dict[str, Any]:
    """The result shape of a department."""
    return {
        "name": department.name,
        "extension": department.extension,
        "description": department.description or "",
    }


@tool
async def transfer_to_agent(
    call: Caller,
    department: Annotated[
        str, Field(min_length=1, max_length=100, description="Department, e.g. support")
    ] = "support",
    reason: Annotated[str, Field(max_length=500, description="Why the caller asks")] = "",
) -> dict[str, Any]:
    """Transfer the caller to a human agent of a department (support, sales, billing...)."""
    session = call.session
    rows = await session.scalars(select(Department).where(Department.is_active.is_(True)))
    departments = list(rows.all())
    wanted = department.strip().casefold()
    match = next((d for d in departments if d.name.casefold() == wanted), None)
    if match is None:
        names = ", ".join(sorted(d.name for d in departments)) or "none"
        raise ToolError(f"there is no {department!r} department; available: {names}")
    result = {**department_json(match), "department": match.name, "status": "requested"}
    result.pop("name")
    if call.scope.session_id is not None:
        await call.resources.store.request_transfer(
            call.scope.session_id,
            department=match.name,
            extension=match.extension,
            reason=clean(reason),
            user_id=call.scope.user_id,
        )
    return result


@tool
async def get_available_departments(
    call: Caller,
) -> dict[str, Any]:
    """List the departments a caller can be transferred to."""
    session = call.session
    rows = await session.scalars(
        select(Department).where(Department.is_active.is_(True)).order_by(Department.name)
    )
    return {"departments": [department_json(d) for d in rows.all()]}
