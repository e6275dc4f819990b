"""Mortgage applications and the checklist of documents each one needs."""

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convonet.storage.models.base import (
    ID_LENGTH,
    Base,
    IdMixin,
    TimestampMixin,
    str_enum,
)

Money = Numeric(14, 2)


class ApplicationStatus(enum.StrEnum):
    """Where an application is in its life cycle."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class LoanType(enum.StrEnum):
    """The kind of loan applied for."""

    CONVENTIONAL = "conventional"
    FHA = "fha"
    VA = "va"
    USDA = "usda"
    JUMBO = "jumbo"


class DocumentStatus(enum.StrEnum):
    """Where one checklist document stands."""

    MISSING = "missing"
    UPLOADED = "uploaded"
    VERIFIED = "verified"
    REJECTED = "rejected"


class MortgageApplication(IdMixin, TimestampMixin, Base):
    """A user's mortgage application with the figures pre-qualification needs.

    Amounts are in ``currency`` units with cents; ``None`` means not yet provided.
    """

    __tablename__ = "mortgage_applications"
    __table_args__ = (
        CheckConstraint(
            "credit_score IS NULL OR credit_score BETWEEN 300 AND 850", name="credit_score_range"
        ),
        CheckConstraint("term_years BETWEEN 1 AND 50", name="term_years_range"),
    )

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus, "status"), default=ApplicationStatus.DRAFT
    )
    loan_type: Mapped[LoanType] = mapped_column(
        str_enum(LoanType, "loan_type"), default=LoanType.CONVENTIONAL
    )
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    loan_amount: Mapped[Decimal | None] = mapped_column(Money)
    property_value: Mapped[Decimal | None] = mapped_column(Money)
    down_payment: Mapped[Decimal | None] = mapped_column(Money)
    annual_income: Mapped[Decimal | None] = mapped_column(Money)
    monthly_debts: Mapped[Decimal | None] = mapped_column(Money)
    credit_score: Mapped[int | None]
    term_years: Mapped[int] = mapped_column(default=30)
    property_address: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None]

    documents: Mapped[list["MortgageDocument"]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="MortgageDocument.doc_type",
    )


class MortgageDocument(IdMixin, TimestampMixin, Base):
    """One item of an application's documents checklist (``doc_type`` unique per application).

    ``doc_type`` is a short slug such as ``pay_stubs``, ``w2``, ``bank_statements``,
    ``tax_returns``, ``photo_id`` or ``purchase_agreement``.
    """

    __tablename__ = "mortgage_documents"
    __table_args__ = (UniqueConstraint("application_id", "doc_type"),)

    application_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("mortgage_applications.id", ondelete="CASCADE")
    )
    doc_type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(500))
    required: Mapped[bool] = mapped_column(default=True)
    status: Mapped[DocumentStatus] = mapped_column(
        str_enum(DocumentStatus, "status"), default=DocumentStatus.MISSING
    )
    uploaded_at: Mapped[datetime | None]
    notes: Mapped[str | None] = mapped_column(Text)

    application: Mapped[MortgageApplication] = relationship(back_populates="documents")
