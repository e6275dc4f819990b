"""Mortgage tools (6): the caller's applications, payment and affordability estimates, documents.

Applications belong to the caller who started them; nobody else can read or change them.
The arithmetic (amortization, the 28/36 rule, the checklist) is in :mod:`.calculator`; the
shapes of an application and the announcement of each change (the dashboard's live feed) are
in :mod:`.service`, shared with the REST API.
"""

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from mcp.server.fastmcp.exceptions import ToolError
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from convonet.domains.mortgage.calculator import (
    affordability,
    checklist,
    money,
    payment_plan,
)
from convonet.domains.mortgage.models import (
    ApplicationStatus,
    LoanType,
    MortgageApplication,
    MortgageDocument,
)
from convonet.domains.mortgage.service import (
    application_json,
    commit_and_publish,
    documents_json,
)
from convonet.storage.models import User, utcnow
from convonet.tools.common import check_range
from convonet.tools.framework import Caller, tool

LoanTypeName = Literal["conventional", "fha", "va", "jumbo"]
LOAN_TYPES: tuple[str, ...] = ("conventional", "fha", "va", "jumbo")
FINAL = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)
# The statuses a caller may set, each with the statuses it may be set from.
CALLER_SETS: dict[str, tuple[str, ...]] = {
    "draft": ("draft", "submitted"),
    "submitted": ("draft", "submitted"),
    "withdrawn": ("draft", "submitted", "in_review"),
}
STATUS_WORDS = {"submit": "submitted", "withdraw": "withdrawn", "cancel": "withdrawn"}
STATUS_WORDS |= {"cancelled": "withdrawn", "canceled": "withdrawn"}
ZERO_OK = ("down_payment", "monthly_debts")
NEEDED_TO_SUBMIT = ("loan_amount", "property_value", "annual_income")

AppId = Annotated[
    str | None,
    Field(max_length=64, description="The application's id; default: your latest application"),
]
Amount = Annotated[float | None, Field(description="US dollars, more than 0")]
Income = Annotated[float | None, Field(description="Gross yearly income in US dollars")]
DownPayment = Annotated[float | None, Field(description="Down payment in US dollars")]
Debts = Annotated[float | None, Field(description="Monthly debt payments in US dollars")]
Rate = Annotated[float, Field(description="Annual interest rate in percent (0-25), 6.5 = 6.5 %")]
Term = Annotated[int, Field(description="Loan term in years (5-40)")]
Down = Annotated[float, Field(description="Down payment in US dollars (0 or more)")]


def _maybe_money(value: float | None, what: str, *, zero_ok: bool = False) -> Decimal | None:
    return None if value is None else money(value, what, zero_ok=zero_ok)


def _figures(**amounts: float | None) -> dict[str, Any]:
    """The caller's amounts by field, checked and rounded (only debts and down payment may be 0)."""
    return {
        key: _maybe_money(value, "the " + key.replace("_", " "), zero_ok=key in ZERO_OK)
        for key, value in amounts.items()
    }


def _check_term_and_rate(term_years: int, annual_rate: float | None = None) -> None:
    check_range(term_years, 5, 40, "the term in years")
    if annual_rate is not None:
        check_range(annual_rate, 0, 25, "the interest rate in percent")


def _loan_type(value: str) -> str:
    """A loan type as said ("FHA", "V.A.", "Jumbo") → its name."""
    name = re.sub(r"[^a-z]", "", value.casefold())
    if name not in LOAN_TYPES:
        raise ToolError(f"{value!r} is not a loan type; choose conventional, FHA, VA or jumbo")
    return name


async def _find_app(
    session: AsyncSession, user: User, application_id: str | None
) -> MortgageApplication:
    """The caller's application ``application_id``, or their latest one."""
    query = (
        select(MortgageApplication)
        .where(MortgageApplication.user_id == user.id)
        .options(selectinload(MortgageApplication.documents))
    )
    if application_id:
        app = await session.scalar(query.where(MortgageApplication.id == application_id.strip()))
        if app is None:
            raise ToolError(f"you have no mortgage application with id {application_id!r}")
        return app
    newest = query.order_by(MortgageApplication.created_at.desc(), MortgageApplication.id)
    app = await session.scalar(newest.limit(1))
    if app is None:
        raise ToolError("you have no mortgage application yet; start one first")
    return app


async def _has_application(session: AsyncSession, user: User) -> bool:
    found = await session.scalar(
        select(MortgageApplication.id).where(MortgageApplication.user_id == user.id).limit(1)
    )
    return found is not None


def _check_figures(app: MortgageApplication) -> None:
    """Refuse figures that contradict each other."""
    value = app.property_value
    if value is not None and app.down_payment is not None and app.down_payment >= value:
        raise ToolError("the down payment must be less than the property value")
    if value is not None and app.loan_amount is not None and app.loan_amount > value:
        raise ToolError("the loan amount can't be more than the property value")


def _set_status(app: MortgageApplication, wanted: str) -> None:
    """Apply a status change the caller may make (submit, withdraw, back to draft)."""
    said = wanted.strip().casefold().replace(" ", "_")
    try:
        status = ApplicationStatus(STATUS_WORDS.get(said, said))
    except ValueError:
        raise ToolError(f"{wanted!r} is not an application status") from None
    allowed_from = CALLER_SETS.get(status)
    if allowed_from is None:
        raise ToolError(f"only the lender can mark an application {status.value}")
    if app.status not in allowed_from:
        raise ToolError(f"an application that is {app.status.value} can't be made {status.value}")
    if status is ApplicationStatus.SUBMITTED and app.status is ApplicationStatus.DRAFT:
        missing = [k.replace("_", " ") for k in NEEDED_TO_SUBMIT if getattr(app, k) is None]
        if missing:
            raise ToolError(f"before submitting, please give the {', '.join(missing)}")
        app.submitted_at = utcnow()
    app.status = status


def _new_application(
    user: User, figures: dict[str, Decimal | None], loan_type: str, term_years: int
) -> MortgageApplication:
    value, down = figures["property_value"], figures["down_payment"]
    if figures["loan_amount"] is None and value is not None and down is not None:
        figures["loan_amount"] = value - down
    app = MortgageApplication(
        user_id=user.id, loan_type=LoanType(loan_type), term_years=term_years, **figures
    )
    _check_figures(app)
    app.documents = [
        MortgageDocument(doc_type=slug, description=name) for slug, name in checklist(loan_type)
    ]
    return app


def _apply_changes(app: MortgageApplication, changes: dict[str, Any], status: str | None) -> None:
    if app.status in FINAL:
        raise ToolError(f"this application is {app.status.value} and can no longer be changed")
    for key, value in changes.items():
        setattr(app, key, value)
    _check_figures(app)
    if status is not None and status.strip():
        _set_status(app, status)


@tool
async def start_mortgage_application(
    call: Caller,
    loan_amount: Amount = None,
    property_value: Amount = None,
    annual_income: Income = None,
    down_payment: DownPayment = None,
    loan_type: LoanTypeName = "conventional",
    term_years: Term = 30,
) -> dict[str, Any]:
    """Start a mortgage application for the caller, with its documents checklist."""
    _check_term_and_rate(term_years)
    figures = _figures(
        loan_amount=loan_amount,
        property_value=property_value,
        annual_income=annual_income,
        down_payment=down_payment,
    )
    session, user = call.session, call.user
    app = _new_application(user, figures, loan_type, term_years)
    session.add(app)
    await commit_and_publish(session, call.resources.store, app, user, "created")
    return {"application": application_json(app), "documents": documents_json(app)}


@tool(read_only=True)
async def get_mortgage_application(
    call: Caller,
    application_id: AppId = None,
) -> dict[str, Any]:
    """Show the caller's mortgage application (default: the latest) and its documents."""
    session, user = call.session, call.user
    app = await _find_app(session, user, application_id)
    return {"application": application_json(app), "documents": documents_json(app)}


@tool
async def update_mortgage_application(
    call: Caller,
    application_id: AppId = None,
    loan_amount: Amount = None,
    property_value: Amount = None,
    annual_income: Income = None,
    monthly_debts: Debts = None,
    credit_score: Annotated[int | None, Field(description="Credit score (300-850)")] = None,
    down_payment: DownPayment = None,
    status: Annotated[
        str | None, Field(max_length=32, description="'submitted', 'withdrawn' or 'draft'")
    ] = None,
) -> dict[str, Any]:
    """Change figures of the caller's application (default: the latest), or submit it."""
    if credit_score is not None:
        check_range(credit_score, 300, 850, "the credit score")
    changes = _figures(
        loan_amount=loan_amount,
        property_value=property_value,
        annual_income=annual_income,
        monthly_debts=monthly_debts,
        down_payment=down_payment,
    )
    changes["credit_score"] = credit_score
    changes = {key: value for key, value in changes.items() if value is not None}
    if not changes and not (status and status.strip()):
        raise ToolError("say what to change: an amount, the credit score or the status")
    session, user = call.session, call.user
    app = await _find_app(session, user, application_id)
    _apply_changes(app, changes, status)
    await commit_and_publish(session, call.resources.store, app, user, "updated")
    return {"application": application_json(app)}


@tool(read_only=True)
async def calculate_mortgage_payment(
    loan_amount: Annotated[float, Field(description="Amount (or price) in USD, more than 0")],
    annual_rate: Rate = 6.5,
    term_years: Term = 30,
    down_payment: Down = 0,
) -> dict[str, Any]:
    """Estimate the monthly principal-and-interest payment of a fixed-rate mortgage."""
    _check_term_and_rate(term_years, annual_rate)
    amount = money(loan_amount, "the loan amount")
    down = money(down_payment, "the down payment", zero_ok=True)
    return payment_plan(amount, down, annual_rate, term_years)


@tool(read_only=True)
async def estimate_affordability(
    annual_income: Annotated[float, Field(description="Gross yearly income in USD")],
    monthly_debts: Annotated[float, Field(description="Monthly debt payments, USD")] = 0,
    annual_rate: Rate = 6.5,
    term_years: Term = 30,
    down_payment: Down = 0,
) -> dict[str, Any]:
    """Estimate the most home the caller can afford under the 28/36 rule."""
    _check_term_and_rate(term_years, annual_rate)
    income = money(annual_income, "the annual income")
    debts = money(monthly_debts, "the monthly debts", zero_ok=True)
    down = money(down_payment, "the down payment", zero_ok=True)
    return affordability(income, debts, down, annual_rate, term_years)


@tool(read_only=True)
async def list_required_documents(
    call: Caller,
    application_id: AppId = None,
    loan_type: Annotated[
        str | None, Field(max_length=32, description="conventional, fha, va or jumbo")
    ] = None,
) -> dict[str, Any]:
    """List the documents a mortgage needs; for an application, which ones are received."""
    wanted = _loan_type(loan_type) if loan_type is not None and loan_type.strip() else None
    session, user = call.session, call.user
    if application_id or (wanted is None and await _has_application(session, user)):
        app = await _find_app(session, user, application_id)
        kind, documents = app.loan_type.value, documents_json(app)
        return {"documents": documents, "application_id": app.id, "loan_type": kind}
    kind = wanted or "conventional"
    documents = [
        {"name": name, "doc_type": slug, "status": "missing", "received": False}
        for slug, name in checklist(kind)
    ]
    return {"documents": documents, "loan_type": kind}
