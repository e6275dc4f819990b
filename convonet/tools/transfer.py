"""Call-transfer tools (2): hand the caller to a human department, list departments.

Both say how many call-center agents each department has ready right now (their live
state in Redis), so the agent can tell the caller before the transfer whether someone is free.

``transfer_to_agent`` starts the transfer through the one
:class:`~convonet.transfer.service.TransferService` (the phrase detector in the voice
pipeline uses the same service) and returns the department's SIP extension.
"""

from typing import Annotated, Any

from mcp.server.fastmcp.exceptions import ToolError
from pydantic import Field

from convonet.tools.common import clean
from convonet.tools.framework import Caller, tool
from convonet.transfer.service import DepartmentInfo, TransferService, load_departments


def department_json(department: DepartmentInfo) -> dict[str, Any]:
    """The result shape of a department (``agents_ready``: call-center agents ready now)."""
    return {
        "name": department.name,
        "extension": department.extension,
        "description": department.description,
        "agents_ready": department.agents_ready,
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
    departments = await load_departments(call.session, call.resources.store)
    session_id = call.scope.session_id
    if session_id is None:
        raise ToolError("a transfer needs a call session")
    started = await TransferService(call.resources.store).start(
        session_id, department, departments, reason=clean(reason), user_id=call.scope.user_id
    )
    if started.kind == "unknown_department":
        raise ToolError(
            f"there is no {department!r} department; "
            f"available: {', '.join(sorted(started.departments)) or 'none'}"
        )
    if started.kind == "under_way":
        # Not a new transfer: no extension, so the turn does not count it as one.
        return {"status": "under_way", "message": started.spoken}
    record = started.record
    assert record is not None  # a started transfer always has its record
    match = next(d for d in departments if d.name == record.department)
    return {
        "department": record.department,
        "extension": record.extension,
        "description": match.description,
        "status": record.status,
        "agents_ready": match.agents_ready,
    }


@tool(read_only=True)
async def get_available_departments(
    call: Caller,
) -> dict[str, Any]:
    """List the departments a caller can be transferred to, and how many agents are ready."""
    departments = await load_departments(call.session, call.resources.store)
    return {"departments": [department_json(d) for d in departments]}
