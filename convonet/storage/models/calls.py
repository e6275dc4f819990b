"""Call history: one row per conversation, voice or text, with transcript and outcome."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from convonet.storage.models.base import ID_LENGTH, Base, IdMixin, str_enum, utcnow


class TransferOutcome(enum.StrEnum):
    """What became of a request to reach a human."""

    REQUESTED = "requested"
    CONNECTED = "connected"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Call(IdMixin, Base):
    """One conversation (a phone call, a browser session or a text chat).

    Attributes:
        session_id: The Redis/pipeline session id; unique.
        channel: ``websocket``, ``webrtc``, ``twilio``, ``cli`` or ``text``.
        caller_number: E.164 number for phone calls.
        call_sid: Twilio's call SID for phone calls.
        transcript: JSON list of turns, ``{"role": "user"|"assistant", "text": ..., "at": ...}``.
        summary: A short summary written when the call ends.
        transfer_outcome: ``None`` when no transfer was requested.
        transfer_department_id: The department the caller asked for.
        details: Free-form JSON (latency figures, provider names, ...).
    """

    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_user_id_started_at", "user_id", "started_at"),)

    session_id: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL")
    )
    bot: Mapped[str | None] = mapped_column(String(64))
    llm: Mapped[str | None] = mapped_column(String(64))
    caller_number: Mapped[str | None] = mapped_column(String(32))
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    transcript: Mapped[list[Any]] = mapped_column(JSON, default=list)
    summary: Mapped[str | None] = mapped_column(Text)
    transfer_outcome: Mapped[TransferOutcome | None] = mapped_column(
        str_enum(TransferOutcome, "transfer_outcome")
    )
    transfer_department_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
