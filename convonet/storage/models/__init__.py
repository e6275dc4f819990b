"""The SQLAlchemy models of the core tables (users, teams, calls, the call center).

Each domain keeps its own tables in ``convonet/domains/<name>/models``; importing this package
also imports those (:func:`convonet.domains.registry.load_models`), so :data:`Base.metadata`
holds every table (what migrations and tests compare against).
"""

from convonet.storage.models.base import Base, new_id, utcnow
from convonet.storage.models.call_center import (
    AgentCall,
    AgentCallOutcome,
    AgentState,
    AgentStateChange,
    CallCenterAgent,
    Department,
)
from convonet.storage.models.calls import Call, TransferOutcome
from convonet.storage.models.crm import CrmOutbox, OutboxStatus
from convonet.storage.models.teams import Team, TeamMember, TeamRole
from convonet.storage.models.users import Role, User, UserRole

__all__ = [
    "AgentCall",
    "AgentCallOutcome",
    "AgentState",
    "AgentStateChange",
    "Base",
    "Call",
    "CallCenterAgent",
    "CrmOutbox",
    "Department",
    "OutboxStatus",
    "Role",
    "Team",
    "TeamMember",
    "TeamRole",
    "TransferOutcome",
    "User",
    "UserRole",
    "new_id",
    "utcnow",
]


def _load_domain_models() -> None:
    # Late import: the registry only reads descriptors; the domains' models import ``base``.
    from convonet.domains.registry import load_models

    load_models()


_load_domain_models()
