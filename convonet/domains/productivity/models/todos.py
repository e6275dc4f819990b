"""Todos: owned by a user, optionally shared with a team and assigned to a member."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from convonet.storage.models.base import ID_LENGTH, Base, IdMixin, TimestampMixin, str_enum


class Priority(enum.StrEnum):
    """How urgent a todo is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class Todo(IdMixin, TimestampMixin, Base):
    """One task.

    Attributes:
        user_id: The owner (who created it); deleting the user deletes their todos.
        team_id: The team it is shared with; deleting the team makes it personal again.
        assignee_id: The member expected to do it; cleared when that user is deleted.
        completed_at: When it was completed (``None`` while open).
    """

    __tablename__ = "todos"
    __table_args__ = (Index("ix_todos_user_id_completed", "user_id", "completed"),)

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE")
    )
    team_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    assignee_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[Priority] = mapped_column(
        str_enum(Priority, "priority"), default=Priority.MEDIUM
    )
    due_at: Mapped[datetime | None]
    completed: Mapped[bool] = mapped_column(default=False)
    completed_at: Mapped[datetime | None]
