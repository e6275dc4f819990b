"""The SIP accounts the server accepts, built from ``call_center_agents``.

An agent registers as its ``sip_username`` (its extension when unset) with its
``sip_password``; agents without a password get no account. A department's extension is an
alias ringing every agent of the department in parallel, so a transfer to ``support``
(2001) reaches whoever of its agents is registered.
"""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from convonet.sip.kamailio import SipAccount, SipDirectory
from convonet.storage.db import Database
from convonet.storage.models import CallCenterAgent


def agent_username(agent: CallCenterAgent) -> str:
    """The SIP user an agent registers as."""
    return agent.sip_username or agent.extension


async def load_directory(db: Database) -> SipDirectory:
    """Every agent's account and, per department extension, its agents' usernames."""
    directory = SipDirectory()
    async with db.session() as session:
        agents = await session.scalars(
            select(CallCenterAgent)
            .options(selectinload(CallCenterAgent.department))
            .order_by(CallCenterAgent.extension)
        )
        for agent in agents.all():
            if not agent.sip_password:
                continue
            username = agent_username(agent)
            directory.accounts.append(SipAccount(username, agent.sip_password))
            department = agent.department
            if department is not None and department.is_active:
                directory.aliases.setdefault(department.extension, []).append(username)
    return directory
