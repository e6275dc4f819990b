"""Reminders: a message to deliver to a user at a time, optionally about a todo."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from convonet.storage.models.base import ID_LENGTH, Base, CreatedMixin, IdMixin


class Reminder(IdMixin, CreatedMixin, Base):
    """One reminder.

    Attributes:
        remind_at: When to remind (UTC).
        recurrence: An RFC 5545 ``RRULE`` for repeating reminders (``None``: once).
        sent_at: When it was last delivered.
        dismissed: The user dismissed it; no further deliveries.
    """

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_user_id_remind_at", "user_id", "remind_at"),)

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE")
    )
    todo_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("todos.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)
    remind_at: Mapped[datetime]
    recurrence: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None]
    dismissed: Mapped[bool] = mapped_column(default=False)
