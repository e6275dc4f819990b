"""Calendar events, optionally mirrored from Google Calendar."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from convonet.storage.models.base import ID_LENGTH, Base, IdMixin, TimestampMixin


class CalendarEvent(IdMixin, TimestampMixin, Base):
    """One event on a user's (or their team's) calendar.

    Attributes:
        start_at: Start (UTC); for all-day events midnight of the day in the user's zone.
        end_at: End (UTC), never before ``start_at``.
        google_event_id: The Google Calendar event this mirrors, unique per user.
    """

    __tablename__ = "calendar_events"
    __table_args__ = (
        CheckConstraint("end_at >= start_at", name="ends_after_start"),
        UniqueConstraint("user_id", "google_event_id"),
        Index("ix_calendar_events_user_id_start_at", "user_id", "start_at"),
    )

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE")
    )
    team_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(500))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    all_day: Mapped[bool] = mapped_column(default=False)
    google_event_id: Mapped[str | None] = mapped_column(String(255))
