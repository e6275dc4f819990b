"""Mortgage arithmetic: amortization, the 28/36 affordability rule, the document checklist.

Amounts are US dollars kept to the cent (``Decimal``); rates are annual percentages.
Payments follow the standard amortization formula ``P·r / (1 - (1 + r)^-n)`` with a monthly
rate ``r`` and ``n`` monthly payments.
"""

import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from mcp.server.fastmcp.exceptions import ToolError

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(100_000_000)
FRONT_END, BACK_END = Decimal("0.28"), Decimal("0.36")

COMMON_DOCUMENTS: tuple[tuple[str, str], ...] = (
    ("pay_stubs", "Pay stubs, last 30 days"),
    ("w2", "W-2 forms, last 2 years"),
    ("tax_returns", "Federal tax returns, last 2 years"),
    ("bank_statements", "Bank statements, last 2 months"),
    ("photo_id", "Government-issued photo ID"),
    ("purchase_agreement", "Signed purchase agreement"),
)
EXTRA_DOCUMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "conventional": (),
    "fha": (("ssn_proof", "Social Security card or other proof of your SSN"),),
    "va": (
        ("va_coe", "VA Certificate of Eligibility (COE)"),
        ("dd214", "DD-214 discharge papers, or a statement of service if on active duty"),
    ),
    "jumbo": (
        ("asset_statements", "Investment and retirement statements, last 2 months (reserves)"),
        ("large_deposits_letter", "Letter explaining any large recent deposits"),
    ),
}


def money(value: float, what: str, *, zero_ok: bool = False) -> Decimal:
    """A caller's dollar amount, rounded to the cent.

    Raises:
        ToolError: Negative, zero (unless ``zero_ok``), not finite or over $100 million.
    """
    low = "0 or more" if zero_ok else "more than $0"
    message = f"{what} must be {low} and at most $100,000,000, not {value:g}"
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
        raise ToolError(message)
    amount = Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)
    if amount > MAX_AMOUNT or (amount == 0 and not zero_ok):
        raise ToolError(message)
    return amount


def monthly_payment(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """The exact (unrounded) monthly payment amortizing ``principal`` over ``months``."""
    if annual_rate == 0:
        return principal / months
    rate = annual_rate / 1200
    return principal * rate / (1 - (1 + rate) ** -months)


def loan_for_payment(payment: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """The (unrounded) principal that ``payment`` a month amortizes over ``months``."""
    if annual_rate == 0:
        return payment * months
    rate = annual_rate / 1200
    return payment * (1 - (1 + rate) ** -months) / rate


def payment_plan(
    loan_amount: Decimal, down_payment: Decimal, annual_rate: float, term_years: int
) -> dict[str, Any]:
    """The result of ``calculate_mortgage_payment`` (amounts rounded to cents)."""
    principal = loan_amount - down_payment
    if principal <= 0:
        raise ToolError("the down payment covers the whole amount, so there is nothing to finance")
    months = term_years * 12
    payment = monthly_payment(principal, Decimal(str(annual_rate)), months)
    payment = payment.quantize(CENT, ROUND_HALF_UP)
    total = payment * months
    return {
        "monthly_payment": float(payment),
        "principal": float(principal),
        "total_interest": float(total - principal),
        "total_paid": float(total),
        "loan_amount": float(loan_amount),
        "down_payment": float(down_payment),
        "annual_rate": annual_rate,
        "term_years": term_years,
        "number_of_payments": months,
    }


def affordability(
    income: Decimal, debts: Decimal, down: Decimal, annual_rate: float, term_years: int
) -> dict[str, Any]:
    """The result of ``estimate_affordability`` under the 28/36 rule (maxima rounded down)."""
    gross = income / 12
    housing_cap = gross * FRONT_END
    debt_cap = gross * BACK_END - debts
    payment = max(min(housing_cap, debt_cap), Decimal(0)).quantize(CENT, ROUND_DOWN)
    loan = loan_for_payment(payment, Decimal(str(annual_rate)), term_years * 12)
    loan = loan.quantize(CENT, ROUND_DOWN)
    return {
        "max_home_price": float(loan + down),
        "max_loan": float(loan),
        "max_monthly_payment": float(payment),
        "gross_monthly_income": float(gross.quantize(CENT, ROUND_HALF_UP)),
        "housing_limit_28": float(housing_cap.quantize(CENT, ROUND_DOWN)),
        "debt_limit_36": float(max(debt_cap, Decimal(0)).quantize(CENT, ROUND_DOWN)),
        "limited_by": "income (28 %)" if housing_cap <= debt_cap else "debts (36 %)",
        "down_payment": float(down),
        "annual_rate": annual_rate,
        "term_years": term_years,
    }


def checklist(loan_type: str) -> tuple[tuple[str, str], ...]:
    """The documents (slug, description) a loan type needs, in the order to ask for them."""
    return COMMON_DOCUMENTS + EXTRA_DOCUMENTS.get(loan_type, ())
