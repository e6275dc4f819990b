"""The one mortgage service: reading applications and announcing their changes.

The MCP tools (which change applications by voice, in a tool subprocess) and the REST API
behind ``/mortgage_dashboard`` share it: the JSON shapes of an application and its documents,
the filtered list, the detail with its estimates, and :func:`commit_and_publish`, which
commits a change and publishes it on ``mortgage:events`` so every dashboard of every server
process sees it at once (Redis pub/sub crosses the process boundary; nothing polls).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, TypeVar

from loguru import logger
from mcp.server.fastmcp.exceptions import ToolError
from redis.exceptions import RedisError
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from convonet.domains.mortgage.calculator import affordability, checklist, payment_plan
from convonet.domains.mortgage.models import (
    ApplicationStatus,
    DocumentStatus,
    MortgageApplication,
    MortgageDocument,
)
from convonet.errors import InvalidInputError
from convonet.storage.models import User, utcnow
from convonet.storage.redis import Keys, PubSubStore
from convonet.tools.common import compact, iso

MONEY_FIELDS = ("loan_amount", "property_value", "down_payment", "annual_income", "monthly_debts")
RECEIVED = (DocumentStatus.UPLOADED, DocumentStatus.VERIFIED)
Change = Literal["created", "updated"]
SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


def _dollars(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def application_json(app: MortgageApplication) -> dict[str, Any]:
    """The result shape of an application (what the tools return)."""
    ltv = None
    if app.loan_amount is not None and app.property_value:
        ltv = float((app.loan_amount * 100 / app.property_value).quantize(Decimal("0.1")))
    data: dict[str, Any] = {"id": app.id, "status": app.status.value}
    data["loan_type"] = app.loan_type.value
    data |= {key: _dollars(getattr(app, key)) for key in MONEY_FIELDS}
    data |= {"credit_score": app.credit_score, "term_years": app.term_years, "loan_to_value": ltv}
    data |= {"currency": app.currency, "created_at": iso(app.created_at)}
    return compact(data | {"submitted_at": iso(app.submitted_at)})


def document_json(doc: MortgageDocument) -> dict[str, Any]:
    """The result shape of one checklist document."""
    return {
        "name": doc.description or doc.doc_type,
        "doc_type": doc.doc_type,
        "status": doc.status.value,
        "received": doc.status in RECEIVED,
        "required": doc.required,
    }


def documents_json(app: MortgageApplication) -> list[dict[str, Any]]:
    """The application's documents in checklist order (unknown kinds last)."""
    slugs = [slug for slug, _name in checklist(app.loan_type.value)]
    rank = {slug: index for index, slug in enumerate(slugs)}
    docs = sorted(app.documents, key=lambda d: (rank.get(d.doc_type, len(slugs)), d.doc_type))
    return [document_json(doc) for doc in docs]


def progress(app: MortgageApplication) -> dict[str, int]:
    """How far the required documents are: counts and a whole percentage."""
    required = [doc for doc in app.documents if doc.required]
    received = sum(doc.status in RECEIVED for doc in required)
    verified = sum(doc.status is DocumentStatus.VERIFIED for doc in required)
    percent = round(100 * received / len(required)) if required else 100
    return {
        "required": len(required),
        "received": received,
        "verified": verified,
        "missing": len(required) - received,
        "percent": percent,
    }


def borrower_json(user: User | None) -> dict[str, Any]:
    """Who applied (``None`` fields when the account is gone)."""
    if user is None:
        return {"id": None, "name": None, "email": None}
    return {"id": user.id, "name": user.name, "email": user.email}


def summary_json(app: MortgageApplication, user: User | None) -> dict[str, Any]:
    """One row of the dashboard's list (also what a change event carries)."""
    return {
        "id": app.id,
        "status": app.status.value,
        "loan_type": app.loan_type.value,
        "currency": app.currency,
        "loan_amount": _dollars(app.loan_amount),
        "property_value": _dollars(app.property_value),
        "property_address": app.property_address,
        "borrower": borrower_json(user),
        "created_at": iso(app.created_at),
        "updated_at": iso(app.updated_at),
        "submitted_at": iso(app.submitted_at),
        "documents": progress(app),
    }


def _estimate(kind: str, app: MortgageApplication, rate: float) -> dict[str, Any]:
    """One estimate, or why it cannot be made yet (``{"missing": [...]}``)."""
    down = app.down_payment or Decimal(0)
    try:
        if kind == "payment":
            if app.loan_amount is None:
                return {"missing": ["loan_amount"]}
            # The loan amount is already net of the down payment: finance all of it.
            return payment_plan(app.loan_amount, Decimal(0), rate, app.term_years)
        if app.annual_income is None:
            return {"missing": ["annual_income"]}
        debts = app.monthly_debts or Decimal(0)
        return affordability(app.annual_income, debts, down, rate, app.term_years)
    except ToolError as error:
        return {"error": str(error)}


def detail_json(app: MortgageApplication, user: User | None, rate: float) -> dict[str, Any]:
    """The detail view: figures, estimates at ``rate`` and the document checklist."""
    figures = {key: _dollars(getattr(app, key)) for key in MONEY_FIELDS}
    figures |= {"credit_score": app.credit_score, "term_years": app.term_years}
    figures["loan_to_value"] = application_json(app).get("loan_to_value")
    return summary_json(app, user) | {
        "figures": figures,
        "notes": app.notes,
        "estimates": {
            "annual_rate": rate,
            "payment": _estimate("payment", app, rate),
            "affordability": _estimate("affordability", app, rate),
        },
        "checklist": documents_json(app),
    }


@dataclass(frozen=True, slots=True)
class ApplicationFilter:
    """The list's filters; ``None`` means no bound.

    Attributes:
        status: Only applications in this status.
        created_from: Created on or after this day (UTC).
        created_to: Created on or before this day (UTC).
        min_amount: Loan amount at least this (applications without one are left out).
        max_amount: Loan amount at most this.
        limit: Rows per page.
        offset: Rows skipped.
    """

    status: ApplicationStatus | None = None
    created_from: date | None = None
    created_to: date | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    limit: int = 50
    offset: int = 0

    def check(self) -> None:
        """Refuse ranges that are empty by construction.

        Raises:
            InvalidInputError: ``created_from`` after ``created_to``, or ``min_amount``
                above ``max_amount``.
        """
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise InvalidInputError("created_from is after created_to")
        low, high = self.min_amount, self.max_amount
        if low is not None and high is not None and low > high:
            raise InvalidInputError("min_amount is more than max_amount")

    def apply(self, query: SelectT) -> SelectT:
        """``query`` narrowed by the filters."""
        table = MortgageApplication
        if self.status is not None:
            query = query.where(table.status == self.status)
        if self.created_from is not None:
            query = query.where(table.created_at >= _midnight(self.created_from))
        if self.created_to is not None:
            query = query.where(table.created_at < _midnight(self.created_to + timedelta(days=1)))
        if self.min_amount is not None:
            query = query.where(table.loan_amount >= self.min_amount)
        if self.max_amount is not None:
            query = query.where(table.loan_amount <= self.max_amount)
        return query


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=utcnow().tzinfo)


async def list_applications(
    session: AsyncSession, wanted: ApplicationFilter
) -> tuple[list[dict[str, Any]], int]:
    """The applications ``wanted`` selects, newest first, and how many match in all.

    Raises:
        InvalidInputError: The filters contradict each other.
    """
    wanted.check()
    total = await session.scalar(wanted.apply(select(func.count(MortgageApplication.id))))
    query = wanted.apply(
        select(MortgageApplication, User)
        .outerjoin(User, User.id == MortgageApplication.user_id)
        .options(selectinload(MortgageApplication.documents))
    )
    page = query.order_by(MortgageApplication.created_at.desc(), MortgageApplication.id)
    rows = await session.execute(page.limit(wanted.limit).offset(wanted.offset))
    return [summary_json(app, user) for app, user in rows.all()], int(total or 0)


async def get_application(
    session: AsyncSession, application_id: str, rate: float
) -> dict[str, Any] | None:
    """The detail of one application, or ``None`` when there is none with that id."""
    app = await session.scalar(
        select(MortgageApplication)
        .where(MortgageApplication.id == application_id)
        .options(selectinload(MortgageApplication.documents))
    )
    if app is None:
        return None
    return detail_json(app, await session.get(User, app.user_id), rate)


async def commit_and_publish(
    session: AsyncSession,
    events: PubSubStore,
    app: MortgageApplication,
    user: User,
    change: Change,
) -> None:
    """Commit a change of ``app`` and announce it on ``mortgage:events``.

    The commit comes first so a dashboard that re-reads on the event sees the change. A
    Redis failure is logged, not raised: the change itself is made, and a dashboard reloading
    its list still shows it.
    """
    await session.flush()
    await session.refresh(app, ["updated_at"])
    await session.commit()
    event = {"change": change, "application": summary_json(app, user), "at": iso(utcnow())}
    try:
        await events.publish(Keys.mortgage_channel(), event)
    except RedisError as error:
        logger.warning(f"mortgage change of {app.id} not announced: {error}")
