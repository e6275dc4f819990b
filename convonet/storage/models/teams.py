"""Teams and their members (each membership carries a team role)."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convonet.storage.models.base import (
    ID_LENGTH,
    Base,
    IdMixin,
    TimestampMixin,
    str_enum,
    utcnow,
)
from convonet.storage.models.users import User


class TeamRole(enum.StrEnum):
    """A member's rights within one team."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Team(IdMixin, TimestampMixin, Base):
    """A group of users sharing todos and calendar events."""

    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)

    members: Mapped[list["TeamMember"]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )


class TeamMember(Base):
    """A user's membership of a team; deleting either side removes it."""

    __tablename__ = "team_members"

    team_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH),
        ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    role: Mapped[TeamRole] = mapped_column(str_enum(TeamRole, "role"), default=TeamRole.MEMBER)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")
