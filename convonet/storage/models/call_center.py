"""Call center: departments callers are transferred to, and the agents answering them."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convonet.storage.models.base import (
    ID_LENGTH,
    Base,
    CreatedMixin,
    IdMixin,
    str_enum,
    utcnow,
)
from convonet.storage.models.users import User


class AgentState(enum.StrEnum):
    """An agent's availability."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    AWAY = "away"


class Department(IdMixin, CreatedMixin, Base):
    """A transfer target: a named department with a SIP extension (``support`` → ``2001``)."""

    __tablename__ = "departments"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    extension: Mapped[str] = mapped_column(String(16), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)

    agents: Mapped[list["CallCenterAgent"]] = relationship(back_populates="department")


class CallCenterAgent(IdMixin, CreatedMixin, Base):
    """A user working as a call-center agent (at most one agent record per user).

    Attributes:
        extension: The agent's own SIP extension; unique.
        sip_username: The SIP account the agent's softphone registers with.
        state: Current availability; ``state_since`` says since when.
    """

    __tablename__ = "call_center_agents"

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    department_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    extension: Mapped[str] = mapped_column(String(16), unique=True)
    sip_username: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[AgentState] = mapped_column(
        str_enum(AgentState, "state"), default=AgentState.OFFLINE
    )
    state_since: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    department: Mapped[Department | None] = relationship(back_populates="agents")
