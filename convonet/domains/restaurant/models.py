"""Restaurant: the dining room's tables and the reservations booked on them."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convonet.storage.models.base import (
    ID_LENGTH,
    Base,
    IdMixin,
    TimestampMixin,
    str_enum,
)


class ReservationStatus(enum.StrEnum):
    """The state of a reservation."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    SEATED = "seated"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class RestaurantTable(IdMixin, Base):
    """A table that can be booked.

    Attributes:
        label: What staff call it (``"T4"``, ``"Patio 2"``); unique.
        area: Where it is (``"main"``, ``"patio"``, ``"bar"``).
    """

    __tablename__ = "restaurant_tables"
    __table_args__ = (CheckConstraint("seats BETWEEN 1 AND 50", name="seats_range"),)

    label: Mapped[str] = mapped_column(String(50), unique=True)
    seats: Mapped[int]
    area: Mapped[str] = mapped_column(String(50), default="main")
    is_active: Mapped[bool] = mapped_column(default=True)

    reservations: Mapped[list["Reservation"]] = relationship(back_populates="table")


class Reservation(IdMixin, TimestampMixin, Base):
    """A booking for a party at a time.

    Attributes:
        user_id: The account that booked it (cleared if the account is deleted).
        table_id: The table assigned (``None`` until assigned, or if the table is removed).
        confirmation_code: Short code read to the guest; unique.
    """

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("party_size BETWEEN 1 AND 100", name="party_size_range"),
        CheckConstraint("duration_minutes BETWEEN 15 AND 480", name="duration_range"),
        Index("ix_reservations_reserved_at_status", "reserved_at", "status"),
    )

    user_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    table_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("restaurant_tables.id", ondelete="SET NULL"), index=True
    )
    guest_name: Mapped[str] = mapped_column(String(200))
    guest_phone: Mapped[str | None] = mapped_column(String(32))
    party_size: Mapped[int]
    reserved_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=90)
    status: Mapped[ReservationStatus] = mapped_column(
        str_enum(ReservationStatus, "status"), default=ReservationStatus.CONFIRMED
    )
    confirmation_code: Mapped[str] = mapped_column(String(16), unique=True)
    special_requests: Mapped[str | None] = mapped_column(Text)

    table: Mapped[RestaurantTable | None] = relationship(back_populates="reservations")
