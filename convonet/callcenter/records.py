"""Making a user a call-center agent: extension, department and SIP account.

Only users with an agent record can sign in to the dashboard; ``convonet users agent``
creates or updates one. The SIP password is kept in clear (the softphone needs it for digest
authentication) and generated when none is given.
"""

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.errors import DuplicateError, InvalidInputError, RecordNotFoundError
from convonet.storage import users
from convonet.storage.models import CallCenterAgent, Department, Role

EXTENSION = re.compile(r"[0-9]{2,16}")
SIP_PASSWORD = re.compile(r"[!-~]{8,128}")  # printable ASCII, no spaces
DESK_ROLES = {Role.AGENT, Role.SUPERVISOR, Role.ADMIN}


@dataclass(frozen=True, slots=True)
class AgentAccount:
    """What ``set_agent`` did: the agent's extension, department and SIP password."""

    email: str
    extension: str
    department: str | None
    sip_password: str
    created: bool


async def set_agent(
    session: AsyncSession,
    email: str,
    *,
    extension: str,
    department: str | None,
    sip_password: str | None = None,
) -> AgentAccount:
    """Create or update the agent record of the user with ``email``.

    The user gets the agent role if they hold none of agent, supervisor, admin.

    Raises:
        RecordNotFoundError: No such user or department.
        InvalidInputError: A malformed extension or SIP password.
        DuplicateError: Another agent has the extension.
    """
    if EXTENSION.fullmatch(extension) is None:
        raise InvalidInputError(f"an extension is 2 to 16 digits, not {extension[:20]!r}")
    if sip_password is not None and SIP_PASSWORD.fullmatch(sip_password) is None:
        raise InvalidInputError("a SIP password is 8 to 128 printable characters, no spaces")
    user = await users.require_by_email(session, email)
    department_id = None
    if department is not None:
        department_id = await session.scalar(
            select(Department.id).where(Department.name == department)
        )
        if department_id is None:
            raise RecordNotFoundError(f"no department {department[:40]!r}")
    taken = await session.scalar(
        select(CallCenterAgent.user_id).where(CallCenterAgent.extension == extension)
    )
    if taken is not None and taken != user.id:
        raise DuplicateError(f"extension {extension} belongs to another agent")
    agent = await session.scalar(select(CallCenterAgent).where(CallCenterAgent.user_id == user.id))
    created = agent is None
    if agent is None:
        agent = CallCenterAgent(user_id=user.id, extension=extension)
        session.add(agent)
    agent.extension, agent.department_id, agent.sip_username = extension, department_id, extension
    agent.sip_password = sip_password or agent.sip_password or secrets.token_urlsafe(18)
    if not DESK_ROLES & {link.role for link in user.role_links}:
        user.set_roles({*(link.role for link in user.role_links), Role.AGENT})
    await session.flush()
    return AgentAccount(user.email, extension, department, agent.sip_password, created)
