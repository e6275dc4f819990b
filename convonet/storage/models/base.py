"""Declarative base, shared column types and mixins of every Convonet table.

Conventions:

* Primary keys are random UUID hex strings (32 chars): not enumerable, and the same ``str``
  type the session and JWT layers carry.
* Timestamps are timezone-aware UTC on every backend (:class:`UTCDateTime`); naive datetimes
  are refused when written, because their meaning would be a guess.
* Status-like columns are strings constrained by a named ``CHECK`` (never native enum types),
  so migrations behave the same on SQLite and PostgreSQL.
* Constraint names follow :data:`NAMING_CONVENTION`, so migrations can drop them by name.
"""

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Enum, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 32
ENUM_LENGTH = 32  # room for values added later without widening the column


def new_id() -> str:
    """Return a fresh random primary key (UUID4 hex)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no offset, so values are normalized to UTC before writing and get
    ``tzinfo=UTC`` attached after reading; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalize to UTC; refuse naive datetimes."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} (give it a timezone)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to values read back without an offset."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum_cls: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum column type: a ``VARCHAR`` plus a named ``CHECK`` of the values.

    Args:
        enum_cls: The Python enum; its *values* are stored.
        name: The ``CHECK`` constraint's short name (prefixed with the table name).

    Returns:
        The column type.
    """
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=ENUM_LENGTH,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    """The declarative base of every model (one ``MetaData`` for the whole schema)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}


class IdMixin:
    """A random string primary key."""

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)


class CreatedMixin:
    """A creation timestamp."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimestampMixin(CreatedMixin):
    """Creation and last-update timestamps."""

    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
