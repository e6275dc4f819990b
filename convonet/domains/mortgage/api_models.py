"""The JSON shapes of the mortgage REST API (what ``/docs`` shows)."""

from typing import Any

from pydantic import BaseModel, Field


class Borrower(BaseModel):
    """Who applied (``None`` fields when the account was deleted)."""

    id: str | None
    name: str | None
    email: str | None


class DocumentProgress(BaseModel):
    """The required documents: how many, how many received (uploaded or verified)."""

    required: int
    received: int
    verified: int
    missing: int
    percent: int = Field(description="received / required, a whole percentage")


class ApplicationSummary(BaseModel):
    """One application as the list shows it."""

    id: str
    status: str
    loan_type: str
    currency: str
    loan_amount: float | None
    property_value: float | None
    property_address: str | None
    borrower: Borrower
    created_at: str | None
    updated_at: str | None
    submitted_at: str | None
    documents: DocumentProgress


class ApplicationsPage(BaseModel):
    """A page of applications, newest first."""

    items: list[ApplicationSummary]
    total: int = Field(description="How many applications match the filters in all")
    limit: int
    offset: int


class Figures(BaseModel):
    """The borrower's figures (``None``: not given yet)."""

    loan_amount: float | None
    property_value: float | None
    down_payment: float | None
    annual_income: float | None
    monthly_debts: float | None
    credit_score: int | None
    term_years: int
    loan_to_value: float | None = Field(description="loan amount / property value, percent")


class Estimates(BaseModel):
    """Payment and affordability at ``annual_rate``.

    Each estimate is the calculator's result, or ``{"missing": [fields]}`` when a figure it
    needs is not given yet, or ``{"error": reason}`` when the figures do not allow one.
    """

    annual_rate: float
    payment: dict[str, Any]
    affordability: dict[str, Any]


class ChecklistItem(BaseModel):
    """One document of the application's checklist."""

    name: str
    doc_type: str
    status: str
    received: bool
    required: bool


class ApplicationDetail(ApplicationSummary):
    """One application with its figures, estimates and document checklist."""

    figures: Figures
    notes: str | None
    estimates: Estimates
    checklist: list[ChecklistItem]
