"""The CRM outbox: each change to send to the CRM, written in the business change's transaction.

A row says "record ``crm_id`` of module ``entity`` should carry ``payload``" (an upsert). The
worker (:mod:`convonet.crm.worker`) sends due rows in ``id`` order, one record's rows one after
another, and keeps every row: ``sent``, ``failed`` (the CRM refused it; the reason is in
``last_error``) or ``pending`` (not yet, or retrying after ``next_attempt_at``).
"""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from convonet.storage.models.base import Base, str_enum, utcnow


class OutboxStatus(enum.StrEnum):
    """Where an outbox row stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class CrmOutbox(Base):
    """One change to send to the CRM.

    Attributes:
        id: Increasing: the order changes were made in (and are sent in).
        entity: The CRM module (``Contacts``, ``Meetings``, ``Cases``, ``Notes``).
        entity_key: Our record behind it (``patient:{id}``, ``transfer:{session}``...).
        crm_id: The CRM record's id, derived from ``entity_key`` (the same on every retry,
            so a create that reached the CRM but whose answer was lost is never repeated).
        payload: The record's attributes.
        attempts: Sends tried so far.
        next_attempt_at: When the worker may try (again).
        last_error: Why the last try failed.
        sent_at: When the CRM accepted it.
    """

    __tablename__ = "crm_outbox"
    __table_args__ = (
        Index("ix_crm_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_crm_outbox_entity_key", "entity_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(128))
    crm_id: Mapped[str] = mapped_column(String(36))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
