"""Call center: departments, the agents answering them, their state changes and call legs.

An agent's *live* state is kept in Redis (``convonet.storage.redis.agents``), where every
server process moves it atomically; the tables here are its history: ``state``/``state_since``
on the agent row are the last known state, ``agent_state_changes`` logs every change, and
``agent_calls`` holds one row per call offered to an agent (ringing, answered, ended).
"""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
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
    """A call-center agent's state (the one enum: live state, history and API)."""

    LOGGED_OUT = "logged_out"
    NOT_READY = "not_ready"
    READY = "ready"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


class AgentCallOutcome(enum.StrEnum):
    """How a call offered to an agent ended (``None`` while it goes on)."""

    COMPLETED = "completed"  # answered, then hung up
    REJECTED = "rejected"  # dropped while ringing (rejected or missed)
    TRANSFERRED = "transferred"  # answered, then handed on by a blind transfer


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
        sip_password: Its password, in clear: the softphone needs it for digest
            authentication, and it is only ever returned to the agent it belongs to.
        state: Last known state (the live one is in Redis); ``state_since`` says since when.
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
    sip_password: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[AgentState] = mapped_column(
        str_enum(AgentState, "state"), default=AgentState.LOGGED_OUT
    )
    state_since: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    department: Mapped[Department | None] = relationship(back_populates="agents")


class AgentStateChange(IdMixin, Base):
    """One change of an agent's state (what availability is computed from).

    ``seq`` is the agent's change counter in Redis: after ``at`` it orders one agent's
    changes as they were made (several may fall within one clock tick).
    """

    __tablename__ = "agent_state_changes"
    __table_args__ = (Index("ix_agent_state_changes_agent_id_at", "agent_id", "at"),)

    agent_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("call_center_agents.id", ondelete="CASCADE")
    )
    from_state: Mapped[AgentState] = mapped_column(str_enum(AgentState, "from_state"))
    to_state: Mapped[AgentState] = mapped_column(str_enum(AgentState, "to_state"))
    action: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentCall(IdMixin, Base):
    """One call offered to one agent: rang at ``offered_at``, maybe answered, then ended.

    A call may ring several agents (one rejects, the next answers), so the answer rate is
    counted on these rows, not on ``calls``.

    Attributes:
        call_id: The conversation (``calls`` row; made for calls the server never saw).
        hold_secs: Time on hold, summed over every hold.
        transfers: ``[{"target", "kind": "blind"|"attended", "at"}]`` asked by the agent.
    """

    __tablename__ = "agent_calls"
    __table_args__ = (Index("ix_agent_calls_agent_id_offered_at", "agent_id", "offered_at"),)

    agent_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("call_center_agents.id", ondelete="CASCADE")
    )
    call_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    wrap_up_ended_at: Mapped[datetime | None]
    outcome: Mapped[AgentCallOutcome | None] = mapped_column(str_enum(AgentCallOutcome, "outcome"))
    hold_secs: Mapped[float] = mapped_column(Float, default=0.0)
    transfers: Mapped[list[Any]] = mapped_column(JSON, default=list)

    agent: Mapped[CallCenterAgent] = relationship()
