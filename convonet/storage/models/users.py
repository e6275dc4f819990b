"""Users and their roles.

Roles live in an association table (``user_roles``, one row per user and role) rather than a
JSON column: the values are ``CHECK``-constrained, and "every supervisor" is a plain indexed
query on both backends. :attr:`User.roles` gives them as a sorted list of strings.
"""

import enum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convonet.storage.models.base import ID_LENGTH, Base, IdMixin, TimestampMixin, str_enum

if TYPE_CHECKING:
    from convonet.storage.models.teams import TeamMember

PIN_HASH_LENGTH = 64  # hex HMAC-SHA256


class Role(enum.StrEnum):
    """What a user may do across the application."""

    USER = "user"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class User(IdMixin, TimestampMixin, Base):
    """A person who signs in by voice PIN, password or phone number.

    Attributes:
        email: Lower-cased, unique.
        phone: E.164 caller number (``+15551234567``), unique when set.
        password_hash: bcrypt hash, for the dashboards and REST (JWT login).
        voice_pin_hash: Keyed HMAC-SHA256 (hex) of the voice PIN; unique, so a PIN alone
            identifies its user without being stored in clear.
        timezone: IANA zone name used to speak and parse local times.
    """

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(100))
    voice_pin_hash: Mapped[str | None] = mapped_column(String(PIN_HASH_LENGTH), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_active: Mapped[bool] = mapped_column(default=True)

    role_links: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    memberships: Mapped[list["TeamMember"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def roles(self) -> list[str]:
        """The user's roles as sorted strings (``["admin", "user"]``)."""
        return sorted(link.role.value for link in self.role_links)

    def set_roles(self, roles: "set[Role]") -> None:
        """Replace the user's roles, keeping unchanged rows."""
        keep = [link for link in self.role_links if link.role in roles]
        have = {link.role for link in keep}
        self.role_links = keep + [UserRole(role=role) for role in sorted(roles - have)]

    def has_role(self, role: Role) -> bool:
        """Whether the user holds ``role``."""
        return any(link.role is role for link in self.role_links)


class UserRole(Base):
    """One role held by one user."""

    __tablename__ = "user_roles"

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True, index=True)

    user: Mapped[User] = relationship(back_populates="role_links")
