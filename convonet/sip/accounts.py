"""The SIP accounts the server accepts, built from ``call_center_agents``.

An agent registers as its ``sip_username`` (its extension when unset). A department's
extension is an alias ringing every agent of the department in parallel, so a transfer to
``support`` (2001) reaches whoever of its agents is registered.
"""

import base64
import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from convonet.settings import Settings
from convonet.sip.kamailio import SipAccount, SipDirectory
from convonet.storage.db import Database
from convonet.storage.models import CallCenterAgent


def sip_password(settings: Settings, username: str) -> str:
    """The SIP password of ``username``: derived from the server's JWT secret, never stored.

    Only the signed-in agent learns it (``GET /call-center/api/agent/sip``); rotating
    ``JWT_SECRET`` rotates every SIP password.
    """
    key = settings.jwt_secret.get_secret_value().encode()
    digest = hmac.new(key, f"convonet-sip:{username}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:24]


def agent_username(agent: CallCenterAgent) -> str:
    """The SIP user an agent registers as."""
    return agent.sip_username or agent.extension


async def load_directory(db: Database, settings: Settings) -> SipDirectory:
    """Every agent's account and, per department extension, its agents' usernames."""
    directory = SipDirectory()
    async with db.session() as session:
        agents = await session.scalars(
            select(CallCenterAgent)
            .options(selectinload(CallCenterAgent.department))
            .order_by(CallCenterAgent.extension)
        )
        for agent in agents.all():
            username = agent_username(agent)
            directory.accounts.append(SipAccount(username, sip_password(settings, username)))
            department = agent.department
            if department is not None and department.is_active:
                directory.aliases.setdefault(department.extension, []).append(username)
    return directory
