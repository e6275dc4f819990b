"""Spoken replies from the mortgage tools' results."""

from datetime import datetime

from convonet.agents.offline.phrasing.base import Phraser, Result
from convonet.agents.offline.phrasing.speech import listing, money, percent, plural


def _application(result: Result, _args: Result, _now: datetime | None) -> str:
    app = result.get("application") or {}
    number = f" number {app['id']}" if app.get("id") is not None else ""
    loan = f" for a {money(app['loan_amount'])} loan" if app.get("loan_amount") else ""
    return f"I've started your mortgage application{number}{loan}."


def _application_status(result: Result, _args: Result, _now: datetime | None) -> str:
    app = result.get("application") or {}
    documents = result.get("documents") or []
    status = str(app.get("status") or "in progress").replace("_", " ")
    number = f" {app['id']}" if app.get("id") is not None else ""
    said = f"Your application{number} is {status}."
    if documents:
        received = sum(1 for d in documents if d.get("received"))
        said += f" {received} of {plural(len(documents), 'document')} received."
    return said


def _application_updated(result: Result, _args: Result, _now: datetime | None) -> str:
    app = result.get("application") or {}
    number = f" {app['id']}" if app.get("id") is not None else ""
    return f"I've updated your application{number}."


def _payment(result: Result, args: Result, _now: datetime | None) -> str:
    rate = result.get("annual_rate", args.get("annual_rate", 6.5))
    years = result.get("term_years", args.get("term_years", 30))
    principal = result.get("principal", args.get("loan_amount"))
    return (
        f"Your estimated monthly payment is {money(result.get('monthly_payment'))} "
        f"for a {money(principal)} loan at {percent(rate)} over {years} years."
    )


def _affordability(result: Result, _args: Result, _now: datetime | None) -> str:
    said = f"You could afford a home of up to about {money(result.get('max_home_price'))}"
    if result.get("max_loan") is not None:
        said += f", with a loan of up to {money(result['max_loan'])}"
    if result.get("max_monthly_payment") is not None:
        said += f" and a monthly payment of about {money(result['max_monthly_payment'])}"
    return said + "."


def _documents(result: Result, _args: Result, _now: datetime | None) -> str:
    documents = result.get("documents") or []
    needed = [str(d.get("name")) for d in documents if not d.get("received")]
    if not documents:
        return "I don't have a document list for that."
    if not needed:
        return "We have every document we need."
    return f"You'll need {listing(needed, limit=8)}."


PHRASERS: dict[str, Phraser] = {
    "start_mortgage_application": _application,
    "get_mortgage_application": _application_status,
    "update_mortgage_application": _application_updated,
    "calculate_mortgage_payment": _payment,
    "estimate_affordability": _affordability,
    "list_required_documents": _documents,
}
