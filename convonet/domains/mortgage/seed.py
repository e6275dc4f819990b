"""Mortgage demo data: one application with its document checklist."""

from decimal import Decimal

from convonet.domains.mortgage.models import DocumentStatus, MortgageApplication, MortgageDocument
from convonet.storage.seed import DemoPeople, Seeder

MORTGAGE_DOCUMENTS = {
    "pay_stubs": ("Pay stubs, last 30 days", DocumentStatus.UPLOADED),
    "w2": ("W-2 forms, last 2 years", DocumentStatus.MISSING),
    "bank_statements": ("Bank statements, last 2 months", DocumentStatus.MISSING),
    "tax_returns": ("Federal tax returns, last 2 years", DocumentStatus.MISSING),
    "photo_id": ("Government-issued photo ID", DocumentStatus.VERIFIED),
    "purchase_agreement": ("Signed purchase agreement", DocumentStatus.MISSING),
}


async def seed(seed: Seeder, people: DemoPeople) -> None:
    """Add the demo user's application and its documents (idempotent)."""
    application = await seed.get_or_add(
        MortgageApplication,
        {"user_id": people.demo.id, "property_address": "12 Maple Street, Springfield"},
        loan_amount=Decimal("320000.00"),
        property_value=Decimal("400000.00"),
        down_payment=Decimal("80000.00"),
        annual_income=Decimal("120000.00"),
        monthly_debts=Decimal("1500.00"),
        credit_score=720,
    )
    for doc_type, (description, status) in MORTGAGE_DOCUMENTS.items():
        await seed.get_or_add(
            MortgageDocument,
            {"application_id": application.id, "doc_type": doc_type},
            description=description,
            status=status,
        )
